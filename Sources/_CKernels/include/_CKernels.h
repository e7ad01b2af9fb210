// Umbrella header of the C kernels target: every public header is listed here.
#include "qb_attention.h"
#include "qb_bf16.h"
#include "qb_cpu.h"
#include "qb_qgemm.h"
#include "qb_sgemm.h"
#include "qb_vmath.h"
