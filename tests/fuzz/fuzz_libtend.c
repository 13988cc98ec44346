/* libFuzzer target for libtend's side of everything tend sends it: a
 * hostile or broken tend must not crash a client. The input is what "tend"
 * says, and is read four ways:
 *   - as the reply to tend_request (its lines handed to a callback that
 *     stops at a line "> stop", as a caller may);
 *   - as the reply to tend_service_lookup, into room for 3 locations;
 *   - as a watch's stream: tend_watch_open on a socket in a temporary run
 *     directory, whose other end (a thread, as tend) sends the input and
 *     closes, then tend_watch_next until the watch ends;
 *   - as a watchdog file (the input, padded with zeros to the file's
 *     size): tend_watchdog_open_path, then a kick, a state, a suspend and
 *     resume (the orphan check calls a function that does nothing).
 * Besides not crashing: the calls return what tend.h says they may and
 * their messages and events are NUL-terminated within their arrays.
 * Built and run by `make fuzz`. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "libtend/tend.h"
#include "libtend/watchdog_page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EVENTS_MAX 4096 /* of one watch: more means the watch never ends */

static char rundir[64], sock_path[128], page_path[128];
static int listener = -1;

static void remove_rundir(void)
{
	unlink(sock_path);
	unlink(page_path);
	rmdir(rundir);
}

/* Once per fuzzer process: the run directory with tend.sock listening. */
static void setup_once(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(rundir, sizeof(rundir), "/tmp/fuzz_libtend-XXXXXX");
	if (!mkdtemp(rundir))
		abort();
	atexit(remove_rundir);
	snprintf(sock_path, sizeof(sock_path), "%s/tend.sock", rundir);
	snprintf(page_path, sizeof(page_path), "%s/watchdog", rundir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listener, 4) < 0)
		abort();
	signal(SIGPIPE, SIG_IGN);
}

static void must_be_text(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort(); /* not NUL-terminated within its array */
}

/* ---- replies ---- */

/* A connection on which tend already said all of data and hung up. */
static int connection_saying(const uint8_t *data, size_t size)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (size && write(sv[1], data, size) != (ssize_t)size)
		abort(); /* a socket pair's buffer holds more than max_len */
	close(sv[1]);	 /* what the client writes is dropped: EPIPE, not SIGPIPE */
	return sv[0];
}

static int on_line(const char *payload, void *arg)
{
	size_t *n = arg;
	(*n)++;
	return strcmp(payload, "stop") == 0;
}

static void request(const uint8_t *data, size_t size)
{
	char *argv[] = { "status", NULL };
	char msg[256];
	size_t lines = 0;
	int fd = connection_saying(data, size);
	int rc = tend_request(fd, argv, on_line, &lines, msg, sizeof(msg));
	close(fd);
	if (rc < -1 || rc > 1)
		abort();
	must_be_text(msg, sizeof(msg));
}

static void lookup(const uint8_t *data, size_t size)
{
	static struct tend_location out[3];
	char msg[256];
	int fd = connection_saying(data, size);
	int n = tend_service_lookup(fd, "http", out, 3, msg, sizeof(msg));
	close(fd);
	must_be_text(msg, sizeof(msg));
	for (int i = 0; i < n && i < 3; i++) {
		char addr[256];
		must_be_text(out[i].name, sizeof(out[i].name));
		must_be_text(out[i].path, sizeof(out[i].path));
		if (out[i].ncontext > TEND_SERVICE_CONTEXT_MAX)
			abort();
		for (size_t c = 0; c < out[i].ncontext; c++)
			if (!tend_location_context(&out[i], c))
				abort();
		tend_location_context_value(&out[i], "role");
		tend_location_address(&out[i], addr, sizeof(addr));
	}
}

/* ---- a watch ---- */

struct server {
	const uint8_t *data;
	size_t size;
};

/* tend's side of the watch: takes the connection, says it all, hangs up. */
static void *serve(void *arg)
{
	struct server *s = arg;
	int fd = accept(listener, NULL, NULL);
	if (fd < 0)
		return NULL;
	for (size_t at = 0; at < s->size;) {
		ssize_t n = write(fd, s->data + at, s->size - at);
		if (n <= 0)
			break;
		at += (size_t)n;
	}
	close(fd);
	return NULL;
}

static void watch(const uint8_t *data, size_t size)
{
	static struct tend_watch_event ev;
	struct server s = { data, size };
	pthread_t th;
	char msg[256];
	if (pthread_create(&th, NULL, serve, &s) != 0)
		abort();
	struct tend_watch *w = tend_watch_open(rundir, "all", NULL, NULL, msg, sizeof(msg));
	must_be_text(msg, sizeof(msg));
	for (int i = 0; w && i < EVENTS_MAX; i++) {
		int r = tend_watch_next(w, &ev);
		if (r < -1 || r > 1)
			abort();
		must_be_text(ev.line, sizeof(ev.line));
		must_be_text(ev.verb, sizeof(ev.verb));
		must_be_text(ev.name, sizeof(ev.name));
		if (r < 0)
			break;
		if (r == 0) {
			struct pollfd p = { .fd = tend_watch_fd(w), .events = POLLIN };
			poll(&p, 1, 1000);
		}
		if (i == EVENTS_MAX - 1)
			abort(); /* the stream has ended: so must the watch */
	}
	tend_watch_close(w);
	pthread_join(th, NULL);
}

/* ---- a watchdog file ---- */

static void no_orphan(void *arg)
{
	(void)arg;
}

static void watchdog_file(const uint8_t *data, size_t size)
{
	static uint8_t page[TEND_WATCHDOG_FILE_SIZE];
	char why[256];
	memset(page, 0, sizeof(page));
	memcpy(page, data, size < sizeof(page) ? size : sizeof(page));
	int fd = open(page_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, page, sizeof(page)) != (ssize_t)sizeof(page) || close(fd) < 0)
		abort();
	struct tend_watchdog *wd = tend_watchdog_open_path(page_path, why, sizeof(why));
	must_be_text(why, sizeof(why));
	if (!wd)
		return;
	tend_watchdog_on_orphan(wd, no_orphan, NULL);
	tend_watchdog_kick(wd);
	tend_watchdog_set_state(wd, "state %zu", size);
	tend_watchdog_timeout_ms(wd);
	tend_watchdog_suspend(wd);
	tend_watchdog_resume(wd);
	tend_watchdog_close(wd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (listener < 0)
		setup_once();
	request(data, size);
	lookup(data, size);
	watch(data, size);
	watchdog_file(data, size);
	return 0;
}
