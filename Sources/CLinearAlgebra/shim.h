// OpenBLAS (cblas + thread control) and LAPACKE, found through pkg-config.
#ifndef SCORESDE_CLINEARALGEBRA_SHIM_H
#define SCORESDE_CLINEARALGEBRA_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
