// Fixed-signature wrappers over libedit (Debian libedit-dev, <histedit.h>).
// Swift cannot call C variadic functions (el_set, el_get, history), so every call the REPL
// needs gets a plain C function here.
#ifndef PSEARCH_CLIBEDIT_H
#define PSEARCH_CLIBEDIT_H

#include <histedit.h>

/// Completion (or any EL_ADDFN) callback: returns one of histedit.h's CC_* codes.
typedef unsigned char (*ps_el_func_t)(EditLine *el, int ch);

/// Sets LC_CTYPE from the environment, falling back to C.UTF-8 when that yields the "C" or
/// "POSIX" locale; returns 1 when the resulting locale is UTF-8.
int ps_locale_init(void);

/// el_init on stdin/stdout/stderr.
EditLine *ps_el_init(const char *prog);
void ps_el_end(EditLine *el);

/// Copies `prompt` (at most 63 bytes) into the editor's prompt buffer.
int ps_el_set_prompt(EditLine *el, const char *prompt);
int ps_el_set_editor(EditLine *el, const char *mode);
int ps_el_set_signal(EditLine *el, int on);
int ps_el_set_clientdata(EditLine *el, void *data);
void *ps_el_get_clientdata(EditLine *el);
int ps_el_add_function(EditLine *el, const char *name, const char *help, ps_el_func_t fn);
int ps_el_bind(EditLine *el, const char *key, const char *command);
int ps_el_set_history(EditLine *el, History *h);
int ps_el_source(EditLine *el, const char *path);
void ps_el_reset(EditLine *el);

/// el_gets: the line with its newline, or NULL at end of input or on a signal (count -1).
const char *ps_el_gets(EditLine *el, int *count);

/// The line being edited as UTF-8 and the cursor's byte offset into it.
/// Returns the buffer (not NUL-terminated; `length` bytes).
const char *ps_el_line(EditLine *el, int *cursor, int *length);
int ps_el_insert(EditLine *el, const char *text);
/// Deletes `chars` characters (not bytes) before the cursor.
void ps_el_delete(EditLine *el, int chars);

History *ps_history_init(int size);
void ps_history_end(History *h);
/// Adds a line; consecutive duplicates are dropped (H_SETUNIQUE).
int ps_history_enter(History *h, const char *line);

/// Remembers the terminal settings of `fd` (cooked, as the shell left them); 0 on success.
int ps_tty_save(int fd);
/// Between reads: no echo, no line buffering, signals still on, so keys typed while code runs
/// wait untouched (Ctrl-D and Ctrl-U included) for libedit to read and draw them.
void ps_tty_between_reads(int fd);
/// Back to the saved settings.
void ps_tty_restore(int fd);
/// On SIGTERM or SIGHUP: restore the saved settings, then die of the signal as usual.
void ps_tty_restore_on_termination(void);

/// fputs + fflush on stdout / stderr: the same FILE that libedit writes through, so output
/// stays in order; Swift 6 refuses the `stdout` global itself.
void ps_write_stdout(const char *text);
void ps_write_stderr(const char *text);

/// Ctrl-C wake-ups for reads at the prompt (see shim.c). `ps_wake_init` makes the pipe once;
/// `ps_wake_notify` is async-signal-safe and called from the SIGINT handler; `ps_wake_drain`
/// empties the pipe before a read and returns 1 when there was something in it.
int ps_wake_init(void);
void ps_wake_notify(void);
int ps_wake_drain(void);
/// Waits until `fd` is readable (1), a wake-up arrives (0), the terminal was resized (2, once
/// ps_watch_resize is on) or poll fails (-1).
int ps_wait_input(int fd);
/// Installs the SIGWINCH handler that makes a read at the prompt redraw the line at the new
/// terminal width (call before the first el_gets, so libedit chains to it).
int ps_watch_resize(void);
/// Makes libedit read characters through a function that also waits on the wake-up pipe.
int ps_el_wait_on_wake(EditLine *el);
/// Whether the last el_gets ended on a wake-up; clears it.
int ps_el_take_woken(void);
/// Turns the terminal's bracketed paste mode on or off (a SIGTERM or SIGHUP turns it off too).
void ps_paste_mode(int on);
/// Whether the characters being read come from a paste (between ESC[200~ and ESC[201~).
int ps_el_pasting(void);

#endif
