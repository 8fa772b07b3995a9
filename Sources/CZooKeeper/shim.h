// The C API of Debian's libzookeeper-mt, as Swift imports it.
//
// THREADED must be defined before <zookeeper/zookeeper.h> is read: the library is the multi-threaded build,
// and several declarations exist only under that macro. A `.define` in Package.swift would reach only C
// compilation, not the Swift importer, so it lives here.
#ifndef SWIFTKAFKA_CZOOKEEPER_SHIM_H
#define SWIFTKAFKA_CZOOKEEPER_SHIM_H

#ifndef THREADED
#define THREADED 1
#endif
#include <zookeeper/zookeeper.h>

// ZOO_OPEN_ACL_UNSAFE is a mutable C global, which Swift 6 refuses to touch from concurrent code. The
// library never writes it; this accessor hands out its address so Swift can pass it to create calls.
static inline struct ACL_vector *czk_open_acl_unsafe(void) { return &ZOO_OPEN_ACL_UNSAFE; }

#endif
