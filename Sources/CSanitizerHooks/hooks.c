// The hooks are inline in include/csanitizerhooks.h; SwiftPM needs one source file per C target.
#include "csanitizerhooks.h"
