#include "CZMQ.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *ps_zmq_context(void) { return zmq_ctx_new(); }

void *ps_zmq_socket(void *context, int type, long long max_frame) {
    void *s = zmq_socket(context, type);
    if (s == NULL) return NULL;
    int linger = 1000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    int64_t limit = max_frame;
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &limit, sizeof limit);
    return s;
}

int ps_zmq_bind(void *socket, const char *endpoint) {
    return zmq_bind(socket, endpoint) == 0 ? 0 : zmq_errno();
}

int ps_zmq_wait(void *socket, long timeout_ms) {
    zmq_pollitem_t item = {.socket = socket, .fd = 0, .events = ZMQ_POLLIN, .revents = 0};
    for (;;) {
        int n = zmq_poll(&item, 1, timeout_ms);
        if (n < 0 && zmq_errno() == EINTR) continue;  // SIGINT interrupts a poll: wait on
        if (n < 0) return -1;
        return (item.revents & ZMQ_POLLIN) ? 1 : 0;
    }
}

int ps_zmq_recv_frame(void *socket, unsigned char **data, size_t *size, int *more) {
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    int n;
    do { n = zmq_msg_recv(&msg, socket, 0); } while (n < 0 && zmq_errno() == EINTR);
    if (n < 0) {
        int e = zmq_errno();
        zmq_msg_close(&msg);
        return e;
    }
    size_t len = zmq_msg_size(&msg);
    unsigned char *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL) {
        zmq_msg_close(&msg);
        return ENOMEM;
    }
    memcpy(copy, zmq_msg_data(&msg), len);
    *data = copy;
    *size = len;
    *more = zmq_msg_more(&msg);
    zmq_msg_close(&msg);
    return 0;
}

int ps_zmq_send_frame(void *socket, const void *data, size_t size, int more) {
    int n;
    do { n = zmq_send(socket, data, size, more ? ZMQ_SNDMORE : 0); } while (n < 0 && zmq_errno() == EINTR);
    return n < 0 ? zmq_errno() : 0;
}

static void *echo_loop(void *socket) {
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, socket, 0) < 0) {
            zmq_msg_close(&msg);
            if (zmq_errno() == EINTR || zmq_errno() == EAGAIN) continue;
            if (zmq_errno() == ETERM) {
                zmq_close(socket);
                return NULL;
            }
            continue;  // a REP socket in a bad state recovers on the next request
        }
        int more = zmq_msg_more(&msg);
        zmq_msg_send(&msg, socket, more ? ZMQ_SNDMORE : 0);
        zmq_msg_close(&msg);
    }
}

int ps_zmq_start_echo(void *socket) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, echo_loop, socket) != 0) return -1;
    pthread_detach(thread);
    return 0;
}

void ps_zmq_close(void *socket) { zmq_close(socket); }

void ps_zmq_term(void *context) {
    zmq_ctx_shutdown(context);
    while (zmq_ctx_term(context) != 0 && zmq_errno() == EINTR) {}
}

const char *ps_zmq_error(int code) { return zmq_strerror(code); }
