package sysmem

import (
	"runtime"
	"testing"
)

func TestTotal(t *testing.T) {
	n := Total()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		if n != 0 {
			t.Errorf("Total() = %d on %s, which has no way to tell", n, runtime.GOOS)
		}
		return
	}
	// A machine that runs this test has more than 64 MiB and less than
	// 64 TiB of memory.
	if n < 64<<20 || n > 64<<40 {
		t.Errorf("Total() = %d bytes", n)
	}
}
