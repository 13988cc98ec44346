/* libFuzzer target for the control socket's byte stream: what a client
 * sends, read by the server as tend reads it (supervisor/control/server.c:
 * accept, reads in chunks, lines cut at newlines, over-long lines, NUL
 * bytes, "\r\n", a last line without a newline, requests held back behind
 * a deferred reply, the idle timer), then split and dispatched to the
 * command handlers of a small world on the simulated kernel of the seam.
 * fuzz_request drives the handlers and state machines line by line; this
 * one drives the framing. The input is sent in chunks cut at 0xff bytes; a
 * 0xfe byte makes 4 s pass (timers fire: the idle timeout is 10 s), and is
 * sent as itself; a 0xfd byte is sent as 1024 'x' (lines longer than
 * TEND_REQUEST_MAX in an input libFuzzer keeps short); after the last
 * chunk the client shuts its side. After each step the server's
 * watcher and loop hooks run as the loop would run them.
 * Besides not crashing: every line the client receives is a data line
 * ("> ...") or a status line (OK/ERR), and nothing that cannot happen
 * happens (tend_bug); control_close frees every client. Built and run by
 * `make fuzz`. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/commands.h"
#include "control/server.h"
#include "core/context.h"
#include "core/dependencies.h"
#include "libtend/tend.h"
#include "services/declared.h"
#include "services/directory.h"
#include "fake_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char world_conf[] =
    "group \"web\" {\n"
    " process \"app\" { command = \"app\" ready = notify ready-timeout = 2s }\n"
    " service \"http\" { process = \"app\" port = 80 proto = tcp }\n"
    "}\n"
    "group \"batch\" { autostart = false\n"
    " process \"once\" { command = \"once\" type = oneshot }\n"
    "}\n";

static char rundir[64];

static void remove_rundir(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", rundir, TEND_SOCKET_NAME);
	unlink(path);
	rmdir(rundir);
}

static void setup_once(void)
{
	snprintf(rundir, sizeof(rundir), "/tmp/fuzz_control-XXXXXX");
	if (!mkdtemp(rundir))
		abort();
	atexit(remove_rundir);
	signal(SIGPIPE, SIG_IGN);
}

/* The client's connection to the control socket. */
static int connect_client(const struct control *ctl)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	return fd;
}

/* Sends a chunk, each 0xfd as 1024 'x'. -1: the server hung up. */
static int send_chunk(int fd, const uint8_t *data, size_t len)
{
	static char out[4096 * 1024];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == 0xfd) {
			memset(out + n, 'x', 1024);
			n += 1024;
		} else {
			out[n++] = (char)data[i];
		}
	}
	if (send(fd, out, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
		return -1;
	return 0;
}

/* Whatever the server sent since the last look, line by line: data and
 * status lines only (a partial last line waits in got). */
static void check_replies(int fd, struct buf *got)
{
	static int trace = -1; /* FUZZ_TRACE=1: print the replies */
	char chunk[4096];
	ssize_t n;
	if (trace < 0)
		trace = getenv("FUZZ_TRACE") != NULL;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		buf_append(got, chunk, (size_t)n);
		if (trace)
			fwrite(chunk, 1, (size_t)n, stderr);
	}
	size_t at = 0;
	while (got->data) {
		const char *line = got->data + at;
		const char *nl = memchr(line, '\n', got->len - at);
		if (!nl)
			break;
		if (strncmp(line, "> ", 2) != 0 && strncmp(line, ">\n", 2) != 0 &&
		    strncmp(line, "OK", 2) != 0 && strncmp(line, "ERR", 3) != 0)
			abort(); /* neither a data line nor a status line */
		at = (size_t)(nl - got->data) + 1;
	}
	if (at)
		buf_consume(got, at);
}

/* What the loop does for one wake-up: the client's watcher (if the client
 * is still there), the control's hooks. */
static void serve(struct fake_world *w, struct control *ctl, uint32_t events)
{
	if (ctl->clients)
		ctl->clients->w.on_ready(&ctl->clients->w, events);
	deps_run(&w->t);
	control_after_events(ctl);
	control_flush_pending(ctl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake_world w;
	static struct directory dir;
	struct control ctl = { .w.fd = -1, .spare_fd = -1, .services = &dir };
	struct buf got = { 0 };
	if (!rundir[0])
		setup_once();
	memset(&w, 0, sizeof(w));
	fake_world_init(&w, world_conf, rundir);
	if (control_open(&ctl, &w.t) < 0)
		abort();
	directory_init(&dir, NULL, &w.t.log);
	bus_subscribe(&w.t.bus, ~0u, event_stream_on_event, &ctl);
	bus_subscribe(&w.t.bus, ~0u, followers_on_event, &ctl);
	bus_subscribe(&w.t.bus, ~0u, waiters_on_event, &ctl);
	bus_subscribe(&w.t.bus, ~0u, declared_on_event, &dir);
	journal_listen(&dir.journal, watchers_on_change, &ctl);
	journal_listen(&dir.journal, event_stream_on_change, &ctl);

	int fd = connect_client(&ctl);
	ctl.w.on_ready(&ctl.w, EPOLLIN); /* accepted */
	if (!ctl.clients)
		abort();
	for (size_t at = 0; at <= size && ctl.clients;) {
		const uint8_t *end = memchr(data + at, 0xff, size - at);
		size_t len = (size_t)((end ? end : data + size) - (data + at));
		for (size_t i = at; i < at + len; i++) {
			if (data[i] != 0xfe)
				continue;
			w.now += 4000;
			timers_run_due(&w.t.loop);
		}
		if (len && send_chunk(fd, data + at, len) < 0)
			break; /* the server closed the connection */
		serve(&w, &ctl, EPOLLIN);
		check_replies(fd, &got);
		if (w.t.bugs)
			abort(); /* something that cannot happen happened */
		at += len + 1;
	}
	shutdown(fd, SHUT_WR);
	serve(&w, &ctl, EPOLLIN | EPOLLRDHUP);
	check_replies(fd, &got);
	if (w.t.bugs)
		abort();
	close(fd);
	buf_free(&got);
	control_close(&ctl);
	directory_free(&dir);
	fake_world_free(&w);
	return 0;
}
