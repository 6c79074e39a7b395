// glibc's malloc tuning (mallopt), which the Swift Glibc module does not export.
#ifndef WXMEDIAFS_CMALLOC_H
#define WXMEDIAFS_CMALLOC_H
#include <malloc.h>
#endif
