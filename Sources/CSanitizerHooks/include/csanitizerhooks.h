// ThreadSanitizer's annotations, for locks it cannot see.
//
// The standard library's `Synchronization.Mutex` takes its lock inside the prebuilt, uninstrumented
// libswiftSynchronization (an atomic and a futex on Linux), so a -sanitize=thread build sees no
// happens-before between two holders of the same Mutex and reports the accesses under it as races.
// `__tsan_acquire`/`__tsan_release` tell it. They are weak: in a build without ThreadSanitizer they are
// null and these calls are a not-taken branch.
#pragma once

extern void __tsan_acquire(void *address) __attribute__((weak));
extern void __tsan_release(void *address) __attribute__((weak));

static inline void wx_tsan_acquire(const void *address) {
    if (__tsan_acquire) __tsan_acquire((void *)address);
}

static inline void wx_tsan_release(const void *address) {
    if (__tsan_release) __tsan_release((void *)address);
}
