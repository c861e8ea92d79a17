package dist

import (
	"os"
	"strconv"
)

// launchedSize is the number of processes a launcher started this one
// among (0 when none did): Open MPI's mpirun, an MPICH or Intel MPI
// launcher (PMI), or a Slurm srun step.
func launchedSize() (int, string) {
	for _, name := range []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"} {
		if v := os.Getenv(name); v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				return n, name
			}
		}
	}
	return 0, ""
}
