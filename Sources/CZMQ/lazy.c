// The libzmq functions the kernel's shim calls, loaded from libzmq.so.5 on first use: only
// `psearch kernel` needs ZeroMQ, and linking it (with the libraries it links: sodium, pgm,
// norm, gssapi, ...) made every psearch start load thirteen more shared libraries. Each
// function has libzmq's own name and prototype (zmq.h), so shim.c calls ZeroMQ as documented.
// When the library cannot be loaded, zmq_ctx_new returns NULL with errno ENOSYS and
// ps_zmq_load_error says why. The pointers are set once under pthread_once.
#include <zmq.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static char load_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static struct {
    int (*zmq_errno)(void);
    const char *(*zmq_strerror)(int);
    void * (*zmq_ctx_new)(void);
    int (*zmq_ctx_shutdown)(void *context);
    int (*zmq_ctx_term)(void *context);
    void * (*zmq_socket)(void *context, int type);
    int (*zmq_close)(void *s);
    int (*zmq_setsockopt)(void *s, int option, const void *value, size_t size);
    int (*zmq_bind)(void *s, const char *addr);
    int (*zmq_poll)(zmq_pollitem_t *items, int n, long timeout);
    int (*zmq_msg_init)(zmq_msg_t *msg);
    int (*zmq_msg_close)(zmq_msg_t *msg);
    int (*zmq_msg_recv)(zmq_msg_t *msg, void *s, int flags);
    int (*zmq_msg_send)(zmq_msg_t *msg, void *s, int flags);
    size_t (*zmq_msg_size)(const zmq_msg_t *msg);
    void * (*zmq_msg_data)(zmq_msg_t *msg);
    int (*zmq_msg_more)(const zmq_msg_t *msg);
    int (*zmq_send)(void *s, const void *buf, size_t len, int flags);
} real;

static void load(void) {
    void *library = dlopen("libzmq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load ZeroMQ (libzmq.so.5): %s", why ? why : "unknown error");
        return;
    }
    real.zmq_errno = dlsym(library, "zmq_errno");
    real.zmq_strerror = dlsym(library, "zmq_strerror");
    real.zmq_ctx_new = dlsym(library, "zmq_ctx_new");
    real.zmq_ctx_shutdown = dlsym(library, "zmq_ctx_shutdown");
    real.zmq_ctx_term = dlsym(library, "zmq_ctx_term");
    real.zmq_socket = dlsym(library, "zmq_socket");
    real.zmq_close = dlsym(library, "zmq_close");
    real.zmq_setsockopt = dlsym(library, "zmq_setsockopt");
    real.zmq_bind = dlsym(library, "zmq_bind");
    real.zmq_poll = dlsym(library, "zmq_poll");
    real.zmq_msg_init = dlsym(library, "zmq_msg_init");
    real.zmq_msg_close = dlsym(library, "zmq_msg_close");
    real.zmq_msg_recv = dlsym(library, "zmq_msg_recv");
    real.zmq_msg_send = dlsym(library, "zmq_msg_send");
    real.zmq_msg_size = dlsym(library, "zmq_msg_size");
    real.zmq_msg_data = dlsym(library, "zmq_msg_data");
    real.zmq_msg_more = dlsym(library, "zmq_msg_more");
    real.zmq_send = dlsym(library, "zmq_send");
}

const char *ps_zmq_load_error(void) {
    pthread_once(&once, load);
    return load_error[0] ? load_error : NULL;
}

int zmq_errno(void) {
    pthread_once(&once, load);
    return real.zmq_errno ? real.zmq_errno() : errno;
}

const char *zmq_strerror(int code) {
    pthread_once(&once, load);
    if (load_error[0]) return load_error;
    return real.zmq_strerror ? real.zmq_strerror(code) : "zmq_strerror is missing from libzmq.so.5";
}

void * zmq_ctx_new(void) {
    pthread_once(&once, load);
    return real.zmq_ctx_new ? real.zmq_ctx_new() : (errno = ENOSYS, NULL);
}

int zmq_ctx_shutdown(void *context) {
    pthread_once(&once, load);
    return real.zmq_ctx_shutdown ? real.zmq_ctx_shutdown(context) : (errno = ENOSYS, -1);
}

int zmq_ctx_term(void *context) {
    pthread_once(&once, load);
    return real.zmq_ctx_term ? real.zmq_ctx_term(context) : (errno = ENOSYS, -1);
}

void * zmq_socket(void *context, int type) {
    pthread_once(&once, load);
    return real.zmq_socket ? real.zmq_socket(context, type) : (errno = ENOSYS, NULL);
}

int zmq_close(void *s) {
    pthread_once(&once, load);
    return real.zmq_close ? real.zmq_close(s) : (errno = ENOSYS, -1);
}

int zmq_setsockopt(void *s, int option, const void *value, size_t size) {
    pthread_once(&once, load);
    return real.zmq_setsockopt ? real.zmq_setsockopt(s, option, value, size) : (errno = ENOSYS, -1);
}

int zmq_bind(void *s, const char *addr) {
    pthread_once(&once, load);
    return real.zmq_bind ? real.zmq_bind(s, addr) : (errno = ENOSYS, -1);
}

int zmq_poll(zmq_pollitem_t *items, int n, long timeout) {
    pthread_once(&once, load);
    return real.zmq_poll ? real.zmq_poll(items, n, timeout) : (errno = ENOSYS, -1);
}

int zmq_msg_init(zmq_msg_t *msg) {
    pthread_once(&once, load);
    return real.zmq_msg_init ? real.zmq_msg_init(msg) : (errno = ENOSYS, -1);
}

int zmq_msg_close(zmq_msg_t *msg) {
    pthread_once(&once, load);
    return real.zmq_msg_close ? real.zmq_msg_close(msg) : (errno = ENOSYS, -1);
}

int zmq_msg_recv(zmq_msg_t *msg, void *s, int flags) {
    pthread_once(&once, load);
    return real.zmq_msg_recv ? real.zmq_msg_recv(msg, s, flags) : (errno = ENOSYS, -1);
}

int zmq_msg_send(zmq_msg_t *msg, void *s, int flags) {
    pthread_once(&once, load);
    return real.zmq_msg_send ? real.zmq_msg_send(msg, s, flags) : (errno = ENOSYS, -1);
}

size_t zmq_msg_size(const zmq_msg_t *msg) {
    pthread_once(&once, load);
    return real.zmq_msg_size ? real.zmq_msg_size(msg) : 0;
}

void * zmq_msg_data(zmq_msg_t *msg) {
    pthread_once(&once, load);
    return real.zmq_msg_data ? real.zmq_msg_data(msg) : (errno = ENOSYS, NULL);
}

int zmq_msg_more(const zmq_msg_t *msg) {
    pthread_once(&once, load);
    return real.zmq_msg_more ? real.zmq_msg_more(msg) : (errno = ENOSYS, -1);
}

int zmq_send(void *s, const void *buf, size_t len, int flags) {
    pthread_once(&once, load);
    return real.zmq_send ? real.zmq_send(s, buf, len, flags) : (errno = ENOSYS, -1);
}
