#ifndef CBUILDINFO_H
#define CBUILDINFO_H
/// The commit a binary was built from: scripts/install passes -Xcc -DWX_BUILD_COMMIT=\"<hash>\"; other builds say "unknown".
const char *wx_build_commit(void);
#endif
