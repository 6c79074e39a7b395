#include "cbuildinfo.h"
#ifndef WX_BUILD_COMMIT
#define WX_BUILD_COMMIT "unknown"
#endif
const char *wx_build_commit(void) { return WX_BUILD_COMMIT; }
