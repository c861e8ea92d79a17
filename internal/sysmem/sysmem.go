// Package sysmem tells how much physical memory the machine has, so that a
// run can refuse at once what could only end in running out of it.
package sysmem

// Total returns the machine's physical memory in bytes, or 0 when this
// system does not say (then no check can be made against it).
func Total() uint64 { return total() }
