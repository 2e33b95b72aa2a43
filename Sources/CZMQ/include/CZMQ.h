// Fixed-signature helpers over ZeroMQ (Debian libzmq3-dev, <zmq.h>) for the Jupyter kernel.
// zmq_msg_t is an opaque 64-byte struct that Swift handles badly, so receiving and sending a
// frame, and the heartbeat's echo loop, are done here in C.
#ifndef PSEARCH_CZMQ_H
#define PSEARCH_CZMQ_H

#include <stddef.h>
#include <zmq.h>

/// A new context; NULL on failure.
void *ps_zmq_context(void);
/// A socket of `type` (ZMQ_ROUTER, ZMQ_PUB, ZMQ_REP) that keeps unsent messages at most one
/// second after it is closed (the reply to a shutdown goes out; a gone client cannot hold the
/// kernel) and refuses frames larger than `max_frame` (-1: no limit).
void *ps_zmq_socket(void *context, int type, long long max_frame);
/// Binds to `endpoint` ("tcp://127.0.0.1:5555"); 0 on success, else errno.
int ps_zmq_bind(void *socket, const char *endpoint);
/// Waits up to `timeout_ms` for `socket` to be readable: 1 readable, 0 not yet, -1 error.
int ps_zmq_wait(void *socket, long timeout_ms);
/// Receives one frame into a malloc'd buffer (*data, *size; free it with free()) and says
/// whether more frames follow; 0 on success, else errno.
int ps_zmq_recv_frame(void *socket, unsigned char **data, size_t *size, int *more);
/// Sends one frame (more: another frame of the message follows); 0 on success, else errno.
int ps_zmq_send_frame(void *socket, const void *data, size_t size, int more);
/// Starts a detached thread that echoes every message received on the REP `socket` (the
/// heartbeat); 0 on success.
int ps_zmq_start_echo(void *socket);
/// Closes a socket (on the thread that last used it).
void ps_zmq_close(void *socket);
/// Ends the context: blocking calls on its sockets return (the heartbeat thread closes its
/// socket and ends), then waits for every socket to be closed and its messages sent.
void ps_zmq_term(void *context);
/// zmq_strerror for an errno value from the calls above.
const char *ps_zmq_error(int code);
// Why libzmq.so.5 could not be loaded (lazy.c loads it on first use), or NULL.
const char *ps_zmq_load_error(void);

#endif
