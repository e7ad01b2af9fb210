// Debian's libhdf5-dev (pkg-config "hdf5", serial build).
#include <hdf5.h>
