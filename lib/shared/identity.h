/*
 * identity.h - who holds a lock in shared memory (a kring's sync_owner, a
 * monitor ring's or a VALE queue's lock), told apart across pid
 * namespaces and pid reuse, so that a holder that died is taken over and
 * a live one never is.
 *
 * A pid does not do: a holder in another pid namespace has a pid that
 * means some other process (often init) where the checker looks, and a
 * dead holder's pid may already be someone else's.  Instead the daemon
 * makes one "lives" file (a sealed, empty memfd) and hands it to every
 * client that says HELLO (a process that only adopted descriptors says
 * one for it).  Each process opens it again as an open file
 * description of its own and takes an OFD lock on one byte at a random
 * offset: the offset, with UNM_ID_LIVES set, is its identity.  The kernel
 * drops the lock when the last descriptor of that open file description
 * goes - when the process dies, whatever namespace it is in, even after
 * the daemon is gone - and anyone can ask with F_OFD_GETLK whether the
 * byte is still held.  Identities are drawn at random from 2^31, so one
 * is not reused while a lock still names it (and a clash at draw time is
 * refused by the lock itself and drawn again).
 *
 * Without a lives file (a process that could not reopen it: /proc
 * missing, or a fork after dropping privileges makes /proc/self/fd
 * unreadable; a guest, refused its HELLO) a process names itself by its
 * pid, checked with kill(), as before: correct within one pid namespace.
 * A daemon started after the one that made our file hands out a new
 * file: the newest wins (identity.c).
 *
 * Threads of a process share its identity: a lock held by another thread
 * of the same process is held by a live holder.
 */
#ifndef UNETMAP_IDENTITY_H
#define UNETMAP_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#define UNM_ID_LIVES 0x80000000u	/* an identity on the lives file, not a pid */

/* daemon: makes the lives file and takes an identity on it; its fd, or -errno */
int unm_id_create(void);
/* a lives file the daemon handed us (consumed): our identity on it, unless we have one */
void unm_id_offer(int fd);
/* this process's identity (never 0) */
uint32_t unm_id_self(void);
/* is the holder named @id certainly gone?  (false when it cannot be told) */
bool unm_id_dead(uint32_t id);
/* the library, in a fork child: an identity of its own (the parent's stays the parent's) */
void unm_id_atfork_child(void);

#endif
