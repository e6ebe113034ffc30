/*
 * The version of expat this library runs with (for xporta --version):
 * only lib/pie includes <expat.h>.
 */
#include <expat.h>

#include "pie.h"

const char *pie_expat_version(void)
{
    /* "expat_2.5.0": the library that is loaded, not the header's. */
    return XML_ExpatVersion();
}
