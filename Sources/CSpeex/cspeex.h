#include <speex/speex.h>
#include <speex/speex_bits.h>
