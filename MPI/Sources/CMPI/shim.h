#ifndef SCORESDE_CMPI_SHIM_H
#define SCORESDE_CMPI_SHIM_H

#include <mpi.h>

// Open MPI defines its predefined handles as macros over addresses of globals, which Swift
// cannot import; these functions hand them over.
static inline MPI_Comm scoresde_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype scoresde_mpi_byte(void) { return MPI_BYTE; }
static inline int scoresde_mpi_success(void) { return MPI_SUCCESS; }

#endif
