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

// Kafka's `zookeeper.set.acl` ACLs: the creator (the session's authenticated ids, scheme "auth") may do anything;
// the world may read, or nothing for sensitive paths. Constant C data, handed out by address as above.
// (ZOO_PERM_ALL and ZOO_PERM_READ are extern ints, not constants: their values, 0x1f and 0x01, are written out.)
static struct ACL czk_secure_acl_entries[] = {
    {0x1f, {(char *)"auth", (char *)""}},
    {0x01, {(char *)"world", (char *)"anyone"}},
};
static struct ACL_vector czk_secure_acl_vector = {2, czk_secure_acl_entries};
static struct ACL_vector czk_creator_only_acl_vector = {1, czk_secure_acl_entries};
static inline struct ACL_vector *czk_secure_acl(void) { return &czk_secure_acl_vector; }
static inline struct ACL_vector *czk_creator_only_acl(void) { return &czk_creator_only_acl_vector; }

#endif
