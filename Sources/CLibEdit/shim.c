// wcwidth (POSIX/XSI) for the cells a character takes when the line is drawn again.
#define _GNU_SOURCE
#include "CLibEdit.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <wchar.h>
#include <termios.h>
#include <unistd.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

int ps_locale_init(void) {
    const char *loc = setlocale(LC_CTYPE, "");
    // A bare "C" locale makes libedit treat every byte as a character, which breaks
    // multibyte (Korean) input; C.UTF-8 is always present on Debian.
    if (loc == NULL || strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0) {
        if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) setlocale(LC_CTYPE, "C.utf8");
    }
    const char *cs = nl_langinfo(CODESET);
    return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

EditLine *ps_el_init(const char *prog) { return el_init(prog, stdin, stdout, stderr); }
void ps_el_end(EditLine *el) { el_end(el); }

// One REPL per process, so one prompt buffer is enough; libedit calls back for the prompt
// on every redraw, so it must outlive the call that sets it.
static char prompt_text[64];
static char *prompt_func(EditLine *el) { (void)el; return prompt_text; }

int ps_el_set_prompt(EditLine *el, const char *prompt) {
    strncpy(prompt_text, prompt, sizeof prompt_text - 1);
    prompt_text[sizeof prompt_text - 1] = '\0';
    return el_set(el, EL_PROMPT, prompt_func);
}

int ps_el_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
int ps_el_set_signal(EditLine *el, int on) { return el_set(el, EL_SIGNAL, on); }
int ps_el_set_clientdata(EditLine *el, void *data) { return el_set(el, EL_CLIENTDATA, data); }

void *ps_el_get_clientdata(EditLine *el) {
    void *data = NULL;
    if (el_get(el, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}

int ps_el_add_function(EditLine *el, const char *name, const char *help, ps_el_func_t fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}

int ps_el_bind(EditLine *el, const char *key, const char *command) {
    return el_set(el, EL_BIND, key, command, (const char *)NULL);
}

int ps_el_set_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }
int ps_el_source(EditLine *el, const char *path) { return el_source(el, path); }
void ps_el_reset(EditLine *el) { el_reset(el); }

const char *ps_el_gets(EditLine *el, int *count) { return el_gets(el, count); }

const char *ps_el_line(EditLine *el, int *cursor, int *length) {
    const LineInfo *li = el_line(el);
    *cursor = (int)(li->cursor - li->buffer);
    *length = (int)(li->lastchar - li->buffer);
    return li->buffer;
}

int ps_el_insert(EditLine *el, const char *text) { return el_insertstr(el, text); }
void ps_el_delete(EditLine *el, int chars) { el_deletestr(el, chars); }

History *ps_history_init(int size) {
    History *h = history_init();
    if (h == NULL) return NULL;
    HistEvent ev;
    history(h, &ev, H_SETSIZE, size);
    history(h, &ev, H_SETUNIQUE, 1);
    return h;
}

void ps_history_end(History *h) { history_end(h); }

int ps_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}

void ps_write_stdout(const char *text) {
    fputs(text, stdout);
    fflush(stdout);
}

void ps_write_stderr(const char *text) {
    fflush(stdout);
    fputs(text, stderr);
    fflush(stderr);
}

// Kept in C so the signal handler below touches only plain memory and tcsetattr, which is
// async-signal-safe.
static struct termios saved_tty;
static int saved_tty_fd = -1;

int ps_tty_save(int fd) {
    if (tcgetattr(fd, &saved_tty) != 0) return -1;
    saved_tty_fd = fd;
    return 0;
}

void ps_tty_between_reads(int fd) {
    if (saved_tty_fd != fd) return;
    struct termios quiet = saved_tty;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
    quiet.c_lflag |= ISIG;
    quiet.c_cc[VMIN] = 1;
    quiet.c_cc[VTIME] = 0;
    tcsetattr(fd, TCSANOW, &quiet);
}

void ps_tty_restore(int fd) {
    if (saved_tty_fd == fd) tcsetattr(fd, TCSANOW, &saved_tty);
}

static volatile sig_atomic_t paste_mode_on = 0;
static const char paste_mode_off[] = "\033[?2004l";

static void restore_and_die(int sig) {
    if (saved_tty_fd >= 0) tcsetattr(saved_tty_fd, TCSANOW, &saved_tty);
    if (paste_mode_on) {
        ssize_t written = write(STDOUT_FILENO, paste_mode_off, sizeof paste_mode_off - 1);
        (void)written;  // dying anyway
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void ps_tty_restore_on_termination(void) {
    struct sigaction action;
    action.sa_handler = restore_and_die;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
}

// The wake-up pipe: the SIGINT handler writes a byte, and a read at the prompt waits on the
// pipe as well as on stdin. A flag alone left a race: a Ctrl-C landing while libedit was
// between two read() calls (drawing a typed character) set it, but the next read() blocked
// anyway, and the prompt did not clear until another key came.
static int wake_fds[2] = {-1, -1};

int ps_wake_init(void) {
    if (wake_fds[0] >= 0) return 0;
    if (pipe(wake_fds) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(wake_fds[i], F_SETFL, fcntl(wake_fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(wake_fds[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

void ps_wake_notify(void) {
    int saved = errno;
    if (wake_fds[1] >= 0) {
        char byte = 1;
        ssize_t written = write(wake_fds[1], &byte, 1);
        (void)written;  // a full pipe already holds a wake-up
    }
    errno = saved;
}

int ps_wake_drain(void) {
    char bytes[64];
    int drained = 0;
    if (wake_fds[0] < 0) return 0;
    while (read(wake_fds[0], bytes, sizeof bytes) > 0) drained = 1;
    return drained;
}

// Set by SIGWINCH while the prompt waits for a key: the line is drawn again at the new width.
static volatile sig_atomic_t resized = 0;
// The thread that waits at the prompt: the kernel may hand the signal to another one (the REPL
// runs on a large-stack thread while the main thread waits for it), which passes it on.
static pthread_t prompt_thread;
static void on_resize(int signo) {
    resized = 1;
    if (!pthread_equal(pthread_self(), prompt_thread)) pthread_kill(prompt_thread, signo);
}

int ps_watch_resize(void) {
    prompt_thread = pthread_self();
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_resize;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: the wait at the prompt must see it
    return sigaction(SIGWINCH, &action, NULL);
}

int ps_wait_input(int fd) {
    for (;;) {
        struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = wake_fds[0], .events = POLLIN}};
        int ready = poll(fds, wake_fds[0] >= 0 ? 2 : 1, -1);
        if (ready < 0) {
            if (errno == EINTR && resized) return 2;
            if (errno == EINTR) continue;  // the pipe says whether it was Ctrl-C
            return -1;
        }
        if (fds[1].revents & POLLIN) return 0;
        if (fds[0].revents) return 1;
    }
}

// Set when the last read at the prompt ended because of the wake-up pipe.
static volatile sig_atomic_t read_woken = 0;

int ps_el_take_woken(void) {
    int woken = read_woken;
    read_woken = 0;
    return woken;
}

// Bracketed paste (xterm's mode 2004, which tmux, GNOME Terminal, iTerm2 and the rest follow):
// while it is on, the terminal wraps pasted text in ESC[200~ ... ESC[201~. The reader takes the
// markers out and remembers whether it is inside a paste, so that a pasted Tab is inserted as
// text instead of listing completions. A paste of several lines spans several reads.
static volatile sig_atomic_t in_paste = 0;

void ps_paste_mode(int on) {
    fputs(on ? "\033[?2004h" : paste_mode_off, stdout);
    fflush(stdout);
    paste_mode_on = on;
}

int ps_el_pasting(void) { return in_paste; }

// Bytes read while looking for a marker that turned out not to be one, given back in order.
static unsigned char pushed[16];
static size_t pushed_at = 0, pushed_end = 0;

// One byte of stdin, given-back bytes first: 1, 0 at end of input, -1 on an error or on the
// wake-up (read_woken set, errno EINTR).
static int next_byte(unsigned char *byte) {
    if (pushed_at < pushed_end) {
        *byte = pushed[pushed_at++];
        return 1;
    }
    for (;;) {
        int ready = ps_wait_input(STDIN_FILENO);
        if (ready == 2) return -2;
        if (ready == 0) {
            read_woken = 1;
            errno = EINTR;
            return -1;
        }
        if (ready < 0) return -1;
        ssize_t n = read(STDIN_FILENO, byte, 1);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return -1;
        }
        return (int)n;
    }
}

// The next byte if one comes within 50 ms. A terminal writes a marker in one piece, but a pty,
// tmux or ssh may split it; a lone Esc typed by hand waits this long at most.
static int byte_soon(unsigned char *byte) {
    if (pushed_at < pushed_end) {
        *byte = pushed[pushed_at++];
        return 1;
    }
    struct pollfd fd = {.fd = STDIN_FILENO, .events = POLLIN};
    if (poll(&fd, 1, 50) != 1) return 0;
    return read(STDIN_FILENO, byte, 1) == 1;
}

// Called after an ESC: takes the rest of ESC[200~ or ESC[201~ and returns 1, or gives back
// what it read (an arrow key's ESC[A, say) and returns 0.
static int take_paste_marker(void) {
    unsigned char got[5];
    size_t n = 0;
    while (n < sizeof got) {
        unsigned char b;
        if (!byte_soon(&b)) break;
        got[n++] = b;
        int fits = n == 1 ? b == '[' : n == 2 ? b == '2' : n == 3 ? b == '0' : n == 4 ? (b == '0' || b == '1') : b == '~';
        if (!fits) break;
        if (n == sizeof got) {
            in_paste = got[3] == '0';
            return 1;
        }
    }
    // What is still waiting to be given back goes after these bytes (each part is at most the
    // five bytes of one marker's tail, so both fit).
    unsigned char rest[sizeof pushed];
    size_t left = pushed_end - pushed_at;
    memcpy(rest, pushed + pushed_at, left);
    memcpy(pushed, got, n);
    memcpy(pushed + n, rest, left);
    pushed_at = 0;
    pushed_end = n + left;
    return 0;
}

// After a resize the terminal has reflowed the line being edited (tmux, VTE, iTerm2 and kitty
// do), so the cursor sits (prompt + text before it) / columns rows below the line's start.
// Go there, clear what is below, and let libedit draw the prompt and line from scratch.
static void redraw_after_resize(EditLine *el) {
    el_resize(el);
    int columns = 0;
    if (el_get(el, EL_GETTC, "co", &columns) != 0 || columns <= 0) columns = 80;
    const LineInfoW *line = el_wline(el);
    int cells = (int)strlen(prompt_text);
    for (const wchar_t *p = line->buffer; p < line->cursor; p++) {
        int w = wcwidth(*p);
        cells += w > 0 ? w : 0;
    }
    int up = cells / columns;
    if (up > 0) fprintf(stdout, "\r\033[%dA\033[J", up);
    else fputs("\r\033[J", stdout);
    fflush(stdout);
    el_set(el, EL_REFRESH);
}

// libedit's read_char, but waiting on the wake-up pipe too: one character of stdin decoded
// from UTF-8 (or the locale's encoding), 0 at end of input, -1 with errno EINTR on Ctrl-C.
// Paste markers never reach libedit.
static int read_char_or_wake(EditLine *el, wchar_t *out) {
    char bytes[MB_LEN_MAX];
    size_t have = 0;
    for (;;) {
        unsigned char byte;
        int got = next_byte(&byte);
        if (got == -2) {
            // The terminal changed size (libedit's own handler, chained before ours, has
            // already measured it): draw the prompt and the line again at once.
            resized = 0;
            redraw_after_resize(el);
            continue;
        }
        if (got <= 0) {
            *out = L'\0';
            return got;
        }
        if (have == 0 && byte == 0x1b && take_paste_marker()) continue;
        bytes[have++] = (char)byte;
        for (;;) {
            mbstate_t state;
            memset(&state, 0, sizeof state);
            size_t used = mbrtowc(out, bytes, have, &state);
            if (used == (size_t)-2) {
                if (have < MB_LEN_MAX) break;  // incomplete: read another byte
                have = 0;                       // too long to be a character: drop it
                break;
            }
            if (used == (size_t)-1) {
                // Invalid: drop it, but the last byte may start the next character.
                if (have > 1) {
                    bytes[0] = bytes[have - 1];
                    have = 1;
                    continue;
                }
                have = 0;
                break;
            }
            return 1;
        }
    }
}

int ps_el_wait_on_wake(EditLine *el) { return el_set(el, EL_GETCFN, read_char_or_wake); }
