// Package dist is what the processes of a data-parallel training run
// share: a communicator (Comm) over which they sum vectors, with a
// timeout that names the process that did not come, and the Averager
// that gradient descent (gd.Sync) averages the weights with.
//
// Three communicators: One, the world of one process (the default build,
// and a build with MPI started without a launcher); MPI's (build tag
// mpi, cgo over Open MPI or MPICH: mpi.go), started by mpirun or srun;
// and Local, N goroutines of one process, for tests.
package dist
