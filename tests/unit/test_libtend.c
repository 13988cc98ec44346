/* libtend client: the default run directory, connecting, quoting, and
 * tend_request against a fake tend (a forked child on a socketpair); the
 * services directory's text format (services_parse.h), and the services
 * calls and the watch against fake tends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "libtend/client.h"
#include "libtend/cmdline.h"
#include "libtend/services_parse.h"
#include "libtend/tend.h"

#define BIG_LINE 300000

/* ---- the environment ---------------------------------------------------- */

static const char *const env_names[] = { "TEND_RUNDIR", "XDG_RUNTIME_DIR" };

static int env_save(void **state)
{
	char **saved = calloc(2, sizeof(*saved));
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *v = getenv(env_names[i]);

		saved[i] = v ? strdup(v) : NULL;
	}
	*state = saved;
	return 0;
}

static int env_restore(void **state)
{
	char **saved = *state;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (saved[i])
			setenv(env_names[i], saved[i], 1);
		else
			unsetenv(env_names[i]);
		free(saved[i]);
	}
	free(saved);
	return 0;
}

/* The rules for a user other than root; 0 if they hold, else the failing line. */
static int check_user_rules(void)
{
	char buf[256], want[64];

	snprintf(want, sizeof(want), "/tmp/tend-%lu", (unsigned long)getuid());
	setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
	if (tend_default_rundir(buf, sizeof(buf)) != 0 || strcmp(buf, "/run/user/4242/tend") != 0)
		return __LINE__;
	setenv("XDG_RUNTIME_DIR", "", 1);
	if (tend_default_rundir(buf, sizeof(buf)) != 0 || strcmp(buf, want) != 0)
		return __LINE__;
	unsetenv("XDG_RUNTIME_DIR");
	if (tend_default_rundir(buf, sizeof(buf)) != 0 || strcmp(buf, want) != 0)
		return __LINE__;
	setenv("TEND_RUNDIR", "/srv/t", 1);
	if (tend_default_rundir(buf, sizeof(buf)) != 0 || strcmp(buf, "/srv/t") != 0)
		return __LINE__;
	unsetenv("TEND_RUNDIR");
	return 0;
}

static void test_rundir_env(void **state)
{
	char buf[64], tiny[8];

	(void)state;
	setenv("TEND_RUNDIR", "/x/y", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1", 1);
	assert_int_equal(tend_default_rundir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/x/y");

	setenv("TEND_RUNDIR", "/a/rather/long/path", 1);
	errno = 0;
	assert_int_equal(tend_default_rundir(tiny, sizeof(tiny)), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(tend_default_rundir(buf, 0), -1);
	assert_int_equal(tend_default_rundir(tiny, 5), -1);

	/* Exactly fitting: 7 characters and the NUL. */
	setenv("TEND_RUNDIR", "/abcdef", 1);
	assert_int_equal(tend_default_rundir(tiny, sizeof(tiny)), 0);
	assert_string_equal(tiny, "/abcdef");
}

static void test_rundir_default(void **state)
{
	char buf[64];
	int status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0) {
		unsetenv("TEND_RUNDIR");
		assert_int_equal(check_user_rules(), 0);
		return;
	}
	/* Root: /run/tend whatever XDG_RUNTIME_DIR says; an empty TEND_RUNDIR is unset. */
	setenv("TEND_RUNDIR", "", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/0", 1);
	assert_int_equal(tend_default_rundir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/tend");
	unsetenv("TEND_RUNDIR");
	assert_int_equal(tend_default_rundir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/tend");

	/* The user rules, in a child that gave up root. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
			_exit(1);
		_exit(check_user_rules() ? 2 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- connecting ---------------------------------------------------------- */

static void test_connect(void **state)
{
	char dir[] = "/tmp/test_libtend.XXXXXX", path[64], longdir[200];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, fd, afd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, TEND_SOCKET_NAME);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);

	fd = tend_connect(dir);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(afd);
	close(fd);

	/* NULL: the default run directory. */
	setenv("TEND_RUNDIR", dir, 1);
	fd = tend_connect(NULL);
	assert_true(fd >= 0);
	close(fd);

	errno = 0;
	assert_int_equal(tend_connect("/nonexistent/test_libtend"), -1);
	assert_int_equal(errno, ENOENT);

	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	errno = 0;
	assert_int_equal(tend_connect(longdir), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	setenv("TEND_RUNDIR", longdir, 1);
	errno = 0;
	assert_int_equal(tend_connect(NULL), -1);
	assert_int_equal(errno, ENAMETOOLONG);

	close(lfd);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- quoting ------------------------------------------------------------- */

static const char *const odd_words[] = {
	"plain",       "",	    "two words", "it's",      "\"dq\"", "$HOME", "`cmd`",
	"back\\slash", "tab\there", "*?[]",	 "a;b|c&d",   "~user",	"#hash", "'",
	"''",	       "\\",	    "ünïcode",	 "-- --json",
};

/* Asserts that line splits into exactly the words of want. */
static void assert_splits_to(const char *line, const char *const *want, size_t n)
{
	const char *error = NULL;
	char **v = cmdline_split(line, &error);
	size_t i;

	assert_non_null(v);
	assert_int_equal(argv_count(v), n);
	for (i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
	argv_free(v);
}

static void test_quote(void **state)
{
	char buf[256], small[4];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(odd_words) / sizeof(odd_words[0]); i++) {
		memset(buf, 'Z', sizeof(buf)); /* tend_quote must not append to junk */
		n = tend_quote(odd_words[i], buf, sizeof(buf));
		assert_true(n > 0); /* even "" needs quotes */
		assert_int_equal((size_t)n, strlen(buf));
		assert_splits_to(buf, &odd_words[i], 1);
	}
	assert_int_equal(tend_quote("plain", small, sizeof(small)), -1);
	assert_int_equal(tend_quote("two words", small, sizeof(small)), -1);
	assert_int_equal(tend_quote("x", buf, 0), -1);
}

/* ---- the fake tend ------------------------------------------------------ */

/* How the fake tend (a forked child) answers a request line. It always sends
 * the request back as the first data line, so the parent can check quoting. */
enum how {
	CANNED,	  /* then the reply text, and it closes */
	ECHO,	  /* then "OK", and it waits for the next request */
	BYTEWISE, /* then the reply text one byte per write (SOCK_SEQPACKET:
		   * one read each for the client), and it closes */
	SLOW,	  /* then, once the client is blocked reading, interrupts that
		   * read (SIGUSR1), waits for the handler to say so (slow_ack),
		   * then the reply text, and it closes */
	BIG,	  /* then a BIG_LINE-byte data line and the reply text; it closes */
	RECORD,	  /* not that: it writes the request to record_pipe (see
		   * recorded()), then the reply text, and it closes */
};

struct server {
	pid_t pid;
	int fd; /* the client's end */
};

/* SLOW: the client's fd (its number in the parent), and a pipe whose write
 * end the parent's signal handler writes a byte to. */
static int slow_client_fd = -1;
static int slow_ack[2] = { -1, -1 };
static int record_pipe[2] = { -1, -1 };

static void put(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(3);
		s += n;
		len -= (size_t)n;
	}
}

/* Bytes written on fd that the peer has not read yet (SIOCOUTQ). */
static int unread(int fd)
{
	int n;

	if (ioctl(fd, SIOCOUTQ, &n) < 0)
		_exit(6);
	return n;
}

/* Whether process pid is blocked in read(fd, ...). Best from the system
 * call it sleeps in (/proc/PID/syscall); where that file cannot be read
 * (no ptrace access), from its state: once the client has taken all that
 * was sent to it, a read of its socket is the only place it can sleep. */
static int blocked_in_read(pid_t pid, int fd)
{
	char path[64], buf[256], *rp;
	long nr, arg0;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f >= 0) {
		n = read(f, buf, sizeof(buf) - 1);
		close(f);
		if (n > 0) {
			buf[n] = '\0';
			return sscanf(buf, "%ld %lx", &nr, &arg0) == 2 && nr == SYS_read &&
			       arg0 == fd;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		_exit(7);
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		_exit(7);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && rp[2] == 'S';
}

/* SLOW: waits until the client (the parent) is blocked in its read of the
 * reply, interrupts that read with a signal, and waits until the client's
 * handler has run: the read has failed with EINTR before any reply is sent. */
static void interrupt_client_read(int fd)
{
	pid_t client = getppid();
	ssize_t n;
	int tries;
	char c;

	/* 10 s at most: then the client gets no reply and the test fails. */
	for (tries = 0; unread(fd) > 0 || !blocked_in_read(client, slow_client_fd); tries++) {
		if (tries == 10000)
			_exit(11);
		usleep(1000);
	}
	if (kill(client, SIGUSR1) < 0)
		_exit(8);
	do
		n = read(slow_ack[0], &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(9);
}

/* Answers one request; returns 0 to wait for another. */
static int answer(int fd, const char *req, enum how how, const char *text)
{
	static char big[BIG_LINE + 3];
	size_t i;

	if (how == RECORD) {
		put(record_pipe[1], req, strlen(req));
	} else {
		put(fd, "> ", 2);
		put(fd, req, strlen(req));
		put(fd, "\n", 1);
	}
	switch (how) {
	case ECHO:
		put(fd, "OK\n", 3);
		return 0;
	case BYTEWISE:
		for (i = 0; text[i]; i++)
			put(fd, text + i, 1);
		return 1;
	case SLOW:
		interrupt_client_read(fd);
		break;
	case BIG:
		big[0] = '>';
		big[1] = ' ';
		for (i = 0; i < BIG_LINE; i++)
			big[2 + i] = (char)('a' + i % 26);
		big[2 + BIG_LINE] = '\n';
		put(fd, big, sizeof(big));
		break;
	case CANNED:
	case RECORD:
		break;
	}
	put(fd, text, strlen(text));
	return 1;
}

static void serve(int fd, enum how how, const char *text)
{
	char buf[8192 + TEND_REQUEST_MAX], *nl;
	size_t len = 0;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			if (answer(fd, buf, how, text))
				_exit(0);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
			continue;
		}
		if (len == sizeof(buf))
			_exit(4); /* a request longer than tend would take */
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(n == 0 && len == 0 ? 0 : 5);
		len += (size_t)n;
	}
}

static void server_start(struct server *s, enum how how, const char *text)
{
	int type = how == BYTEWISE ? SOCK_SEQPACKET : SOCK_STREAM;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
	if (how == SLOW) {
		assert_int_equal(pipe2(slow_ack, O_CLOEXEC), 0);
		slow_client_fd = sv[0];
	}
	if (how == RECORD)
		assert_int_equal(pipe2(record_pipe, O_CLOEXEC), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		close(sv[0]);
		if (how == SLOW)
			close(slow_ack[1]);
		if (how == RECORD)
			close(record_pipe[0]);
		serve(sv[1], how, text);
	}
	close(sv[1]);
	if (how == RECORD) {
		close(record_pipe[1]);
		record_pipe[1] = -1;
	}
	s->fd = sv[0];
	if (how == SLOW) {
		close(slow_ack[0]);
		slow_ack[0] = -1;
		/* Where Yama restricts ptrace to descendants, let the fake tend
		 * read /proc/OUR_PID/syscall (EINVAL without Yama: no matter). */
		(void)prctl(PR_SET_PTRACER, (unsigned long)s->pid, 0, 0, 0);
	}
}

/* Closes the client's end and asserts that the fake tend was content. */
static void server_finish(struct server *s)
{
	int status;

	close(s->fd);
	while (waitpid(s->pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- collecting data lines ---------------------------------------------- */

#define MAX_LINES 16

struct lines {
	int n;
	int stop_after; /* 0: never stop */
	char *v[MAX_LINES];
};

static int collect(const char *payload, void *arg)
{
	struct lines *l = arg;

	if (l->n < MAX_LINES)
		l->v[l->n] = strdup(payload);
	l->n++;
	return l->stop_after && l->n >= l->stop_after;
}

static void lines_free(struct lines *l)
{
	int i;

	for (i = 0; i < l->n && i < MAX_LINES; i++)
		free(l->v[i]);
	l->n = 0;
}

/* One request against a fake tend; returns what tend_request returned. */
static int request(enum how how, const char *text, char *const argv[], struct lines *l, char *err,
		   size_t errlen)
{
	struct server s;
	int ret;

	server_start(&s, how, text);
	ret = tend_request(s.fd, argv, collect, l, err, errlen);
	server_finish(&s);
	return ret;
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Sends "ping", the fake tend answers with text; checks the return value, the
 * data lines after the echoed request, and err. */
static void expect(enum how how, const char *text, int want_ret, const char *const *want_lines,
		   const char *want_err)
{
	char *argv[] = { "ping", NULL };
	struct lines l = { 0 };
	char err[64] = "junk";
	int i;

	assert_int_equal(request(how, text, argv, &l, err, sizeof(err)), want_ret);
	assert_true(l.n >= 1);
	assert_string_equal(l.v[0], "ping");
	for (i = 0; want_lines[i]; i++) {
		assert_true(i + 1 < l.n);
		assert_string_equal(l.v[i + 1], want_lines[i]);
	}
	assert_int_equal(l.n, i + 1);
	assert_string_equal(err, want_err);
	lines_free(&l);
}

/* ---- tend_request ------------------------------------------------------- */

static void test_request_ok(void **state)
{
	(void)state;
	/* "> " and ">" are empty payloads. */
	expect(CANNED, "> second line\n> \n>\nOK\n", 0, L("second line", "", ""), "");
	/* The text after "OK " comes back in err. */
	expect(CANNED, "OK started web\n", 0, L(NULL), "started web");
}

static void test_request_err(void **state)
{
	char *argv[] = { "start", NULL };
	struct lines l = { 0 };
	char small[6];

	(void)state;
	expect(CANNED, "> partial\nERR usage: start GROUP\n", -1, L("partial"),
	       "usage: start GROUP");
	expect(CANNED, "ERR\n", -1, L(NULL), "error");
	/* A small buffer truncates; none at all is allowed. */
	assert_int_equal(request(CANNED, "ERR usage: start\n", argv, &l, small, sizeof(small)), -1);
	assert_string_equal(small, "usage");
	lines_free(&l);
	assert_int_equal(request(CANNED, "ERR usage: start\n", argv, &l, NULL, 0), -1);
	lines_free(&l);
}

static void test_request_split_writes(void **state)
{
	(void)state;
	expect(BYTEWISE, "> one\n> two\nOK done\n", 0, L("one", "two"), "done");
}

static void test_request_eof(void **state)
{
	(void)state;
	expect(CANNED, "", -1, L(NULL), "connection closed by tend before it answered");
	expect(CANNED, "> a\n", -1, L("a"), "connection closed by tend before it answered");
	expect(CANNED, "> a\n> unfinish", -1, L("a"), "connection closed by tend before it answered");
}

static void test_request_bad_line(void **state)
{
	(void)state;
	expect(CANNED, "> fine\nOKAY\nOK\n", -1, L("fine"), "bad reply line");
	expect(CANNED, "hello\n", -1, L(NULL), "bad reply line");
	expect(CANNED, ">x\n", -1, L(NULL), "bad reply line");
}

static void test_request_big_line(void **state)
{
	char *argv[] = { "status", "--json", NULL };
	struct lines l = { 0 };
	char err[64];
	size_t i;

	(void)state;
	assert_int_equal(request(BIG, "> after\nOK\n", argv, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(strlen(l.v[1]), BIG_LINE);
	for (i = 0; i < BIG_LINE; i++)
		if (l.v[1][i] != (char)('a' + i % 26))
			fail_msg("byte %zu differs", i);
	assert_string_equal(l.v[2], "after");
	lines_free(&l);
}

static void test_request_quoting(void **state)
{
	char *argv[] = {
		"run", "--tenant",    "acme",	   "--", "sh", "-c", "echo 'hi there' \"$X\"",
		"",    "back\\slash", "tab\there", NULL
	};
	struct lines l = { 0 };
	char err[64];

	(void)state;
	assert_int_equal(request(ECHO, NULL, argv, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_splits_to(l.v[0], (const char *const *)argv, 10);
	assert_memory_equal(l.v[0], "run --tenant acme -- sh -c ", 27);
	lines_free(&l);
}

static void test_request_stop(void **state)
{
	char *argv[] = { "events", NULL };
	struct lines l = { .stop_after = 3 };
	char err[64];

	(void)state;
	assert_int_equal(request(CANNED, "> 1\n> 2\n> 3\nOK\n", argv, &l, err, sizeof(err)), 1);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[2], "2");
	lines_free(&l);
}

static void test_request_two_on_one_connection(void **state)
{
	char *first[] = { "status", NULL }, *second[] = { "logs", "web/db", "-n", "5", NULL };
	struct lines l = { 0 };
	struct server s;
	char err[64];

	(void)state;
	server_start(&s, ECHO, NULL);
	assert_int_equal(tend_request(s.fd, first, collect, &l, err, sizeof(err)), 0);
	assert_int_equal(tend_request(s.fd, second, collect, &l, err, sizeof(err)), 0);
	server_finish(&s);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "status");
	assert_string_equal(l.v[1], "logs web/db -n 5");
	lines_free(&l);
}

static volatile sig_atomic_t interrupts;

/* Tells the fake tend that the signal has been handled. */
static void on_interrupt(int sig)
{
	int saved = errno;

	(void)sig;
	interrupts++;
	if (write(slow_ack[1], "!", 1) != 1)
		_exit(10);
	errno = saved;
}

/* A signal without SA_RESTART interrupts the read; tend_request carries on.
 * The fake tend sends it while the client is blocked reading the reply. */
static void test_request_eintr(void **state)
{
	struct sigaction sa = { .sa_handler = on_interrupt }, old;
	char *argv[] = { "ping", NULL };
	struct lines l = { 0 };
	struct server s;
	char err[64];
	int ret;

	(void)state;
	sigemptyset(&sa.sa_mask);
	interrupts = 0;
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	server_start(&s, SLOW, "OK late\n");
	ret = tend_request(s.fd, argv, collect, &l, err, sizeof(err));
	sigaction(SIGUSR1, &old, NULL);
	prctl(PR_SET_PTRACER, 0, 0, 0, 0);
	close(slow_ack[1]);
	slow_ack[1] = -1;
	server_finish(&s);
	assert_int_equal(ret, 0);
	assert_string_equal(err, "late");
	assert_int_equal(interrupts, 1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "ping");
	lines_free(&l);
}

/* Asserts that nothing was written on a socketpair whose other end is peer. */
static void assert_nothing_sent(int peer)
{
	char c;

	errno = 0;
	assert_int_equal(recv(peer, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

static void test_request_refused(void **state)
{
	char word[TEND_REQUEST_MAX + 8];
	char *too_long[] = { word, NULL }, *empty[] = { NULL };
	struct lines l = { 0 };
	char err[128];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	memset(word, 'a', TEND_REQUEST_MAX);
	word[TEND_REQUEST_MAX] = '\0';
	assert_int_equal(tend_request(sv[0], too_long, collect, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(tend_request(sv[0], empty, collect, &l, err, sizeof(err)), -1);
	assert_int_equal(tend_request(sv[0], NULL, collect, &l, err, sizeof(err)), -1);
	assert_nothing_sent(sv[1]);
	assert_int_equal(l.n, 0);
	close(sv[0]);
	close(sv[1]);
}

/* A word with a newline crosses the one-line protocol as $'...'. */
static void test_request_newline_word(void **state)
{
	char *argv[] = { "run", "--", "printf", "a\nb's", NULL }, got[128];
	char err[128];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(libtend_send_request(sv[0], argv, err, sizeof(err)), 0);
	ssize_t n = recv(sv[1], got, sizeof(got) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "run -- printf $'a\\nb\\'s'\n");
	close(sv[0]);
	close(sv[1]);
}

static void test_request_boundary(void **state)
{
	char word[TEND_REQUEST_MAX + 8], q[TEND_REQUEST_MAX + 64], err[128];
	char *argv[] = { word, NULL };
	struct lines l = { 0 };
	size_t extra, fit;

	(void)state;
	/* Quoting may add bytes to a word of letters; measure how many. */
	extra = (size_t)tend_quote("a", q, sizeof(q)) - 1;
	fit = TEND_REQUEST_MAX - 1 - extra; /* plus the newline: exactly the limit */
	memset(word, 'a', fit);
	word[fit] = '\0';
	assert_int_equal(request(ECHO, NULL, argv, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(strlen(l.v[0]) + 1, TEND_REQUEST_MAX);
	lines_free(&l);

	word[fit] = 'a';
	word[fit + 1] = '\0';
	assert_int_equal(tend_request(-1, argv, collect, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(l.n, 0);
}

/* tend went away before the request: an error, not SIGPIPE. */
static void test_request_peer_gone(void **state)
{
	char *argv[] = { "ping", NULL };
	struct lines l = { 0 };
	char err[128];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(tend_request(sv[0], argv, collect, &l, err, sizeof(err)), -1);
	assert_memory_equal(err, "cannot write to tend", 20);
	close(sv[0]);
}

/* ---- the services directory's text: addresses ---------------------------- */

struct address_case {
	const char *word, *host;
	unsigned port;
	const char *proto, *path;
};

static const struct address_case good_addresses[] = {
	{ "127.0.0.1", "127.0.0.1", 0, "", "" },
	{ "127.0.0.1:8080", "127.0.0.1", 8080, "", "" },
	{ "127.0.0.1:8080/tcp", "127.0.0.1", 8080, "tcp", "" },
	{ "10.0.0.1/udp", "10.0.0.1", 0, "udp", "" },
	{ "1.2.3.4:65535/udp", "1.2.3.4", 65535, "udp", "" },
	{ "1.2.3.4:1", "1.2.3.4", 1, "", "" },
	{ "[::1]:53/udp", "::1", 53, "udp", "" },
	{ "[fd00::1]:80", "fd00::1", 80, "", "" },
	{ "[::ffff:1.2.3.4]:443/tcp", "::ffff:1.2.3.4", 443, "tcp", "" },
	{ "::1/udp", "::1", 0, "udp", "" },
	{ "::1", "::1", 0, "", "" },
	{ "fd00::1:53", "fd00::1:53", 0, "", "" }, /* bare: the 53 is the address's */
	{ "::", "::", 0, "", "" },
	{ "2001:db8::8:800:200c:417a/tcp", "2001:db8::8:800:200c:417a", 0, "tcp", "" },
	{ "127.0.0.1/unix:/run/x.sock", "127.0.0.1", 0, "unix", "/run/x.sock" },
	{ "127.0.0.1/unix:/tmp/a b/it's", "127.0.0.1", 0, "unix", "/tmp/a b/it's" },
	{ "::1/unix:/x:1/[y]/unix:z", "::1", 0, "unix", "/x:1/[y]/unix:z" },
	{ "::1/unix:/", "::1", 0, "unix", "/" },
};

static void test_address_forms(void **state)
{
	struct tend_address a;
	const char *why;
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good_addresses) / sizeof(good_addresses[0]); i++) {
		const struct address_case *c = &good_addresses[i];

		why = NULL;
		if (svc_parse_address(c->word, &a, &why) != 0)
			fail_msg("%s: %s", c->word, why);
		assert_string_equal(a.host, c->host);
		assert_int_equal(a.port, c->port);
		assert_string_equal(a.proto, c->proto);
		assert_string_equal(a.path, c->path);
		/* and written back the same */
		assert_int_equal(tend_address_text(&a, text, sizeof(text)), strlen(c->word));
		assert_string_equal(text, c->word);
	}
}

static void test_address_longest(void **state)
{
	char word[200], path[TEND_SERVICE_PATH_MAX + 2], small[8];
	struct tend_address a;
	const char *why;

	(void)state;
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[TEND_SERVICE_PATH_MAX] = '\0'; /* 107 bytes: fits */
	snprintf(word, sizeof(word), "::1/unix:%s", path);
	assert_int_equal(svc_parse_address(word, &a, &why), 0);
	assert_string_equal(a.path, path);
	path[TEND_SERVICE_PATH_MAX] = 'p'; /* 108: does not */
	path[TEND_SERVICE_PATH_MAX + 1] = '\0';
	snprintf(word, sizeof(word), "::1/unix:%s", path);
	assert_int_equal(svc_parse_address(word, &a, &why), -1);
	assert_string_equal(why, "a unix socket's path is too long");
	/* the longest IPv6 literal there is */
	assert_int_equal(
	    svc_parse_address("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:9", &a, &why), 0);
	assert_string_equal(a.host, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	/* written back: only when it fits */
	assert_int_equal(svc_parse_address("10.0.0.1:80/tcp", &a, &why), 0);
	assert_int_equal(tend_address_text(&a, small, sizeof(small)), -1);
	assert_string_equal(small, "");
	assert_int_equal(tend_address_text(&a, small, 0), -1);
}

static void test_address_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"/tcp",
		":80",
		"localhost",
		"localhost:80",
		"1.2.3",
		"1.2.3.4.5",
		"1.2.3.256",
		" 1.2.3.4",
		"1.2.3.4 ",
		"1.2.3.4:0",
		"1.2.3.4:65536",
		"1.2.3.4:99999999999999999999",
		"1.2.3.4:",
		"1.2.3.4:x",
		"1.2.3.4:+80",
		"1.2.3.4:-1",
		"1.2.3.4: 80",
		"1.2.3.4:80:81",
		"[::1]",
		"[::1",
		"[::1]53",
		"[::1]:",
		"[::1]:0",
		"[1.2.3.4]:80",
		"[]:80",
		"[::1]:80]",
		"::1]:80",
		":::1",
		"fe80::1%eth0",
		"fe80::1%eth0:80",
		"1.2.3.4/",
		"1.2.3.4/sctp",
		"1.2.3.4/TCP",
		"1.2.3.4/tcp/udp",
		"1.2.3.4/tcp ",
		"1.2.3.4:80/unix:/x",
		"[::1]:80/unix:/x",
		"1.2.3.4/unix:",
		"1.2.3.4/unix:rel/x",
		"1.2.3.4/unix",
		"/unix:/x",
	};
	struct tend_address a;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 'x', sizeof(a));
		why = NULL;
		if (svc_parse_address(bad[i], &a, &why) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_non_null(why);
		assert_string_equal(a.host, ""); /* cleared */
		assert_int_equal(a.port, 0);
	}
}

/* ---- locations ------------------------------------------------------------ */

static void parse_ok(const char *text, struct tend_location *l)
{
	const char *why = NULL;

	if (svc_parse_location(text, l, &why) != 0)
		fail_msg("%s: %s", text, why);
}

static void test_location_owners(void **state)
{
	struct tend_location l;
	char addr[256];

	(void)state;
	/* declared in conf.d, with a quoted context value */
	parse_ok("http 127.0.0.1:8080/tcp index 2 owner g/p context path=/ "
		 "'note=it'\\''s a b'",
		 &l);
	assert_string_equal(l.name, "http");
	assert_string_equal(l.host, "127.0.0.1");
	assert_int_equal(l.port, 8080);
	assert_string_equal(l.proto, "tcp");
	assert_string_equal(l.path, "");
	assert_int_equal(l.index, 2);
	assert_int_equal(l.owner, TEND_OWNER_PROCESS);
	assert_string_equal(l.group, "g");
	assert_string_equal(l.process, "p");
	assert_int_equal(l.owner_pid, 0);
	assert_true(l.owner_uid == TEND_UID_UNKNOWN);
	assert_false(l.decoupled);
	assert_false(l.proxy);
	assert_int_equal(l.ncontext, 2);
	assert_string_equal(tend_location_context(&l, 0), "path=/");
	assert_string_equal(tend_location_context(&l, 1), "note=it's a b");
	assert_null(tend_location_context(&l, 2));
	assert_string_equal(tend_location_context_value(&l, "note"), "it's a b");
	assert_int_equal(tend_location_address(&l, addr, sizeof(addr)), 18);
	assert_string_equal(addr, "127.0.0.1:8080/tcp");

	/* coupled to a pid */
	parse_ok("web 127.0.0.1:80 index 12 owner pid 4242", &l);
	assert_int_equal(l.owner, TEND_OWNER_PID);
	assert_int_equal(l.owner_pid, 4242);
	assert_true(l.owner_uid == TEND_UID_UNKNOWN);
	assert_string_equal(l.group, "");
	assert_false(l.decoupled);
	assert_int_equal(l.ncontext, 0);
	assert_null(tend_location_context(&l, 0));

	/* decoupled */
	parse_ok("cache [::1]:11211/udp index 3 owner uid 1000 decoupled", &l);
	assert_int_equal(l.owner, TEND_OWNER_DECOUPLED);
	assert_int_equal(l.owner_uid, 1000);
	assert_int_equal(l.owner_pid, 0);
	assert_true(l.decoupled);
	assert_string_equal(l.host, "::1");
	assert_int_equal(l.port, 11211);
	parse_ok("cache ::1 index 3 owner uid 0 decoupled proxy", &l);
	assert_int_equal(l.owner_uid, 0);
	assert_true(l.proxy);

	/* proxy and context; a pid at its largest */
	parse_ok("v6 ::1 index 12 owner pid 2147483647 proxy context 'k=a b'", &l);
	assert_int_equal(l.owner_pid, 2147483647);
	assert_true(l.proxy);
	assert_string_equal(tend_location_context_value(&l, "k"), "a b");

	/* a unix socket whose path needs quotes; names with dots and dashes */
	parse_ok("sock '127.0.0.1/unix:/tmp/a b/it'\\''s' index 3 owner web-1/nginx.main", &l);
	assert_string_equal(l.proto, "unix");
	assert_string_equal(l.path, "/tmp/a b/it's");
	assert_string_equal(l.group, "web-1");
	assert_string_equal(l.process, "nginx.main");
	tend_location_address(&l, addr, sizeof(addr));
	assert_string_equal(addr, "127.0.0.1/unix:/tmp/a b/it's");

	/* the largest index */
	parse_ok("x 1.2.3.4 index 18446744073709551615 owner g/p", &l);
	assert_true(l.index == UINT64_MAX);
}

static void test_location_context(void **state)
{
	char text[4096], big[600];
	struct tend_location l, copy;
	size_t i, n;

	(void)state;
	/* values may hold '=', quotes, spaces; a key may be a prefix of another */
	parse_ok("x 1.2.3.4 index 1 owner g/p context pa=1 path=/a=b 'q=\"x\" y' e= "
		 "\"d=\\$HOME\"",
		 &l);
	assert_int_equal(l.ncontext, 5);
	assert_string_equal(tend_location_context_value(&l, "pa"), "1");
	assert_string_equal(tend_location_context_value(&l, "path"), "/a=b");
	assert_string_equal(tend_location_context_value(&l, "q"), "\"x\" y");
	assert_string_equal(tend_location_context_value(&l, "e"), "");
	assert_string_equal(tend_location_context_value(&l, "d"), "$HOME");
	assert_null(tend_location_context_value(&l, "p"));
	assert_null(tend_location_context_value(&l, "missing"));
	assert_null(tend_location_context_value(&l, ""));
	assert_null(tend_location_context_value(&l, NULL));
	assert_null(tend_location_context(NULL, 0));
	/* a copy is a plain assignment: no pointers inside */
	copy = l;
	memset(&l, 0, sizeof(l));
	assert_string_equal(tend_location_context_value(&copy, "path"), "/a=b");

	/* 16 entries fit, 17 do not */
	n = (size_t)snprintf(text, sizeof(text), "x 1.2.3.4 index 1 owner g/p context");
	for (i = 0; i < 16; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " k%zu=v", i);
	parse_ok(text, &l);
	assert_int_equal(l.ncontext, 16);
	assert_string_equal(tend_location_context(&l, 15), "k15=v");
	snprintf(text + n, sizeof(text) - n, " k16=v");
	assert_int_equal(svc_parse_location(text, &l, &(const char *){ NULL }), -1);
	assert_int_equal(errno, EBADMSG);

	/* 1024 bytes fit (NULs not counted), 1025 do not */
	memset(big, 'v', sizeof(big));
	big[510] = '\0'; /* "a=" + 510 + "b=" + 510 = 1024 */
	snprintf(text, sizeof(text), "x 1.2.3.4 index 1 owner g/p context a=%s b=%s", big, big);
	parse_ok(text, &l);
	assert_int_equal(strlen(tend_location_context_value(&l, "b")), 510);
	snprintf(text, sizeof(text), "x 1.2.3.4 index 1 owner g/p context a=%s bb=%s", big, big);
	assert_int_equal(svc_parse_location(text, &l, &(const char *){ NULL }), -1);
	/* 16 entries of 64 bytes: the most there is, every NUL too */
	memset(big, 'v', sizeof(big));
	big[61] = '\0';
	n = (size_t)snprintf(text, sizeof(text), "x 1.2.3.4 index 1 owner g/p context");
	for (i = 0; i < 16; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " %c=%s", (char)('a' + i), big);
	parse_ok(text, &l);
	assert_int_equal(l.ncontext, 16);
	assert_string_equal(tend_location_context_value(&l, "p"), big);
}

static void test_location_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"x",
		"x 1.2.3.4",
		"x 1.2.3.4 index",
		"x 1.2.3.4 index 1",
		"x 1.2.3.4 index 1 owner",
		"x 1.2.3.4 index one owner g/p",
		"x 1.2.3.4 index -1 owner g/p",
		"x 1.2.3.4 index 18446744073709551616 owner g/p",
		"x 1.2.3.4 number 1 owner g/p",
		"x 1.2.3.4 index 1 by g/p",
		"x localhost index 1 owner g/p",
		"bad/name 1.2.3.4 index 1 owner g/p",
		"'' 1.2.3.4 index 1 owner g/p",
		"x 1.2.3.4 index 1 owner pid",
		"x 1.2.3.4 index 1 owner pid 0",
		"x 1.2.3.4 index 1 owner pid -1",
		"x 1.2.3.4 index 1 owner pid 2147483648",
		"x 1.2.3.4 index 1 owner pid x",
		"x 1.2.3.4 index 1 owner uid 5",
		"x 1.2.3.4 index 1 owner uid 4294967295 decoupled",
		"x 1.2.3.4 index 1 owner uid x decoupled",
		"x 1.2.3.4 index 1 owner pid 5 decoupled",
		"x 1.2.3.4 index 1 owner g/p decoupled",
		"x 1.2.3.4 index 1 owner g",
		"x 1.2.3.4 index 1 owner g/",
		"x 1.2.3.4 index 1 owner /p",
		"x 1.2.3.4 index 1 owner g/p/q",
		"x 1.2.3.4 index 1 owner .g/p",
		"x 1.2.3.4 index 1 owner g/-p",
		"x 1.2.3.4 index 1 owner 'g h/p'",
		"x 1.2.3.4 index 1 owner g/p proxy proxy",
		"x 1.2.3.4 index 1 owner uid 1 decoupled decoupled",
		"x 1.2.3.4 index 1 owner g/p context",
		"x 1.2.3.4 index 1 owner g/p context novalue",
		"x 1.2.3.4 index 1 owner g/p context =v",
		"x 1.2.3.4 index 1 owner g/p context 'k y=v'",
		"x 1.2.3.4 index 1 owner g/p weight 5",
		"x 1.2.3.4 index 1 owner g/p context k=v proxy",
		"x 1.2.3.4 index 1 owner g/p 'unbalanced",
		"x 1.2.3.4 index 1 owner g/p trailing\\",
	};
	struct tend_location l;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&l, 'x', sizeof(l));
		why = NULL;
		errno = 0;
		if (svc_parse_location(bad[i], &l, &why) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(errno, EBADMSG);
		assert_non_null(why);
		assert_string_equal(l.name, ""); /* cleared */
		assert_int_equal(l.ncontext, 0);
		assert_true(l.owner_uid == TEND_UID_UNKNOWN);
	}
	/* the last context entry is the one that may be "k=v proxy": quoted */
	parse_ok("x 1.2.3.4 index 1 owner g/p context 'k=v proxy'", &l);
}

/* ---- watch events --------------------------------------------------------- */

static void event_ok(const char *payload, struct tend_watch_event *ev, enum tend_watch_kind kind)
{
	const char *why = "junk";

	if (svc_parse_event(payload, ev, &why) != (int)kind)
		fail_msg("%s: kind %d: %s", payload, (int)ev->kind, why ? why : "unknown");
	assert_null(why);
	assert_int_equal(ev->kind, kind);
	assert_string_equal(ev->line, payload);
}

static void test_event_service(void **state)
{
	static struct tend_watch_event ev;
	char addr[256];

	(void)state;
	event_ok("service add web 127.0.0.1:8080/tcp index 5 owner pid 77 context path=/", &ev,
		 TEND_WATCH_SERVICE);
	assert_string_equal(ev.verb, "add");
	assert_string_equal(ev.name, "web");
	assert_int_equal(ev.index, 5);
	assert_int_equal(ev.location.index, 5);
	assert_int_equal(ev.location.owner_pid, 77);
	assert_string_equal(tend_location_context_value(&ev.location, "path"), "/");
	assert_string_equal(ev.from.host, "");

	event_ok("service remove web 127.0.0.1:8080/tcp index 6 owner pid 77", &ev,
		 TEND_WATCH_SERVICE);
	assert_string_equal(ev.verb, "remove");
	assert_int_equal(ev.index, 6);
	event_ok("service update x 127.0.0.1:1 index 7 owner uid 0 decoupled", &ev,
		 TEND_WATCH_SERVICE);
	assert_string_equal(ev.verb, "update");
	assert_true(ev.location.decoupled);
	assert_string_equal(ev.from.host, "");

	/* an update that changed the port says where it was, as tend writes it */
	event_ok("service update m 10.0.0.1:54/udp index 9 owner pid 7 context k=v "
		 "from 10.0.0.1:53/udp",
		 &ev, TEND_WATCH_SERVICE);
	assert_string_equal(ev.verb, "update");
	assert_int_equal(ev.location.port, 54);
	assert_string_equal(tend_location_context_value(&ev.location, "k"), "v");
	assert_string_equal(ev.from.host, "10.0.0.1");
	assert_int_equal(ev.from.port, 53);

	event_ok("service move m 10.0.0.1:53/udp index 8 owner pid 6303 from [::1]:53/udp", &ev,
		 TEND_WATCH_SERVICE);
	assert_string_equal(ev.verb, "move");
	assert_string_equal(ev.location.host, "10.0.0.1");
	assert_string_equal(ev.from.host, "::1");
	assert_int_equal(ev.from.port, 53);
	assert_string_equal(ev.from.proto, "udp");
	tend_address_text(&ev.from, addr, sizeof(addr));
	assert_string_equal(addr, "[::1]:53/udp");

	/* a move with context, and unix sockets quoted on both sides */
	event_ok("service move u '127.0.0.1/unix:/tmp/x y'\\''z' index 11 owner pid 6303 "
		 "context from=here 'to=a b' from '::1/unix:/tmp/x y'\\''z'",
		 &ev, TEND_WATCH_SERVICE);
	assert_string_equal(ev.location.path, "/tmp/x y'z");
	assert_string_equal(ev.location.host, "127.0.0.1");
	assert_string_equal(tend_location_context_value(&ev.location, "from"), "here");
	assert_string_equal(tend_location_context_value(&ev.location, "to"), "a b");
	assert_string_equal(ev.from.host, "::1");
	assert_string_equal(ev.from.proto, "unix");
	assert_string_equal(ev.from.path, "/tmp/x y'z");
}

static void test_event_others(void **state)
{
	static struct tend_watch_event ev;

	(void)state;
	event_ok("group g running index 4", &ev, TEND_WATCH_GROUP);
	assert_string_equal(ev.name, "g");
	assert_string_equal(ev.verb, "running");
	assert_int_equal(ev.index, 4);
	event_ok("group web.front-1 stopping index 0", &ev, TEND_WATCH_GROUP);
	assert_string_equal(ev.name, "web.front-1");
	assert_string_equal(ev.verb, "stopping");

	event_ok("host up 127.0.0.1 index 0", &ev, TEND_WATCH_HOST);
	assert_string_equal(ev.verb, "up");
	assert_string_equal(ev.name, "127.0.0.1");
	assert_int_equal(ev.index, 0);
	event_ok("host down fd00::2 index 99", &ev, TEND_WATCH_HOST);
	assert_string_equal(ev.verb, "down");
	assert_string_equal(ev.name, "fd00::2");
	assert_int_equal(ev.index, 99);

	event_ok("sync 13", &ev, TEND_WATCH_SYNC);
	assert_int_equal(ev.index, 13);
	assert_string_equal(ev.verb, "");
	assert_string_equal(ev.name, "");
	event_ok("sync 0", &ev, TEND_WATCH_SYNC);
	event_ok("resync", &ev, TEND_WATCH_RESYNC);
	assert_int_equal(ev.index, 0);

	/* kinds it does not know: OTHER, and no complaint */
	event_ok("lease add x 1.2.3.4 index 3", &ev, TEND_WATCH_OTHER);
	event_ok("", &ev, TEND_WATCH_OTHER);
	event_ok("{\"type\":\"sync\",\"index\":3}", &ev, TEND_WATCH_OTHER);
	assert_int_equal(ev.index, 0);
}

static void test_event_malformed(void **state)
{
	static const char *const bad[] = {
		"service",
		"service add",
		"service add web",
		"service expire web 1.2.3.4 index 1 owner g/p",
		"service add web 1.2.3.4 index 1 owner pid 0",
		"service add web 1.2.3.4 index x owner g/p",
		"service move m 10.0.0.1:53 index 8 owner pid 1",
		"service move m 10.0.0.1:53 index 8 owner pid 1 from",
		"service move m 10.0.0.1:53 index 8 owner pid 1 from bad.host",
		"service move m 10.0.0.1:53 index 8 owner pid 1 from 1.2.3.4 extra",
		"service move from 1.2.3.4",
		"service add web 1.2.3.4 index 1 owner g/p 'unbalanced",
		"group",
		"group g",
		"group g running",
		"group g running index",
		"group g running index x",
		"group g Running index 1",
		"group g running-now index 1",
		"group g abcdefghijklmnopqrstuvwxyz index 1",
		"group g/h running index 1",
		"group g running index 1 extra",
		"group g running number 1",
		"host",
		"host up",
		"host sideways 1.2.3.4 index 1",
		"host up example.org index 1",
		"host up [::1] index 1",
		"host up 1.2.3.4 index",
		"host up 1.2.3.4 index 1 2",
		"sync",
		"sync x",
		"sync -1",
		"sync 1 2",
		"sync 18446744073709551616",
		"resync now",
	};
	static struct tend_watch_event ev;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&ev, 'x', sizeof(ev));
		why = NULL;
		if (svc_parse_event(bad[i], &ev, &why) != TEND_WATCH_OTHER)
			fail_msg("decoded \"%s\" as kind %d", bad[i], (int)ev.kind);
		if (!why)
			fail_msg("no reason for \"%s\"", bad[i]);
		assert_int_equal(ev.kind, TEND_WATCH_OTHER);
		assert_string_equal(ev.line, bad[i]);
		/* nothing half-decoded */
		assert_string_equal(ev.verb, "");
		assert_string_equal(ev.name, "");
		assert_int_equal(ev.index, 0);
		assert_string_equal(ev.location.name, "");
		assert_string_equal(ev.from.host, "");
	}
}

static void test_event_long_line(void **state)
{
	static struct tend_watch_event ev;
	static char line[TEND_WATCH_LINE_MAX + 100];
	const char *why;

	(void)state;
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(svc_parse_event(line, &ev, &why), TEND_WATCH_OTHER);
	assert_int_equal(strlen(ev.line), TEND_WATCH_LINE_MAX - 1);
	assert_memory_equal(ev.line, line, TEND_WATCH_LINE_MAX - 1);
}

/* ---- the services calls against a fake tend ------------------------------ */

/* RECORD: the request line the fake tend got (it has ended). */
static void recorded(char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while ((r = read(record_pipe[0], buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(record_pipe[0]);
	record_pipe[0] = -1;
}

static void test_service_register(void **state)
{
	const char *context[] = { "path=/", "note=a b", NULL };
	struct tend_service_spec spec = { .name = "web",
					  .host = "::1",
					  .port = 80,
					  .proto = "tcp",
					  .context = context,
					  .pid = 42,
					  .proxy = true };
	char msg[128], req[TEND_REQUEST_MAX];
	struct server s;
	int ret;

	(void)state;
	server_start(&s, RECORD, "OK service web at [::1]:80/tcp index 7\n");
	ret = tend_service_register(s.fd, &spec, msg, sizeof(msg));
	server_finish(&s);
	recorded(req, sizeof(req));
	assert_int_equal(ret, 0);
	assert_string_equal(msg, "service web at [::1]:80/tcp index 7");
	assert_string_equal(req, "service register web --host ::1 --port 80 --proto tcp "
				 "--context path=/ --context 'note=a b' --pid 42 --proxy");

	spec = (struct tend_service_spec){
		.name = "sock", .proto = "unix", .path = "/run/a b", .decoupled = true
	};
	server_start(&s, RECORD, "ERR a unix socket needs an absolute path\n");
	errno = 0;
	ret = tend_service_register(s.fd, &spec, msg, sizeof(msg));
	assert_int_equal(errno, EPROTO);
	server_finish(&s);
	recorded(req, sizeof(req));
	assert_int_equal(ret, -1);
	assert_string_equal(msg, "a unix socket needs an absolute path");
	assert_string_equal(req,
			    "service register sock --proto unix --path '/run/a b' --decoupled");

	/* just a name: tend couples it to whoever connected */
	spec = (struct tend_service_spec){ .name = "bare" };
	server_start(&s, RECORD, "OK service bare at 127.0.0.1 index 8\n");
	assert_int_equal(tend_service_register(s.fd, &spec, NULL, 0), 0);
	server_finish(&s);
	recorded(req, sizeof(req));
	assert_string_equal(req, "service register bare");
}

static void test_service_register_refused(void **state)
{
	const char *many[TEND_SERVICE_CONTEXT_MAX + 2];
	struct tend_service_spec spec = { .name = "x", .decoupled = true, .pid = 5 };
	char msg[128];
	int sv[2];
	size_t i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	errno = 0;
	assert_int_equal(tend_service_register(sv[0], &spec, msg, sizeof(msg)), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(msg, "a decoupled location has no owner pid");
	for (i = 0; i < TEND_SERVICE_CONTEXT_MAX + 1; i++)
		many[i] = "k=v";
	many[i] = NULL;
	spec = (struct tend_service_spec){ .name = "x", .context = many };
	assert_int_equal(tend_service_register(sv[0], &spec, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "more than 16 context entries");
	spec = (struct tend_service_spec){ .port = 1 };
	assert_int_equal(tend_service_register(sv[0], &spec, msg, sizeof(msg)), -1);
	assert_int_equal(tend_service_register(sv[0], NULL, msg, sizeof(msg)), -1);
	assert_int_equal(tend_service_deregister(sv[0], NULL, NULL, 0, msg, sizeof(msg)), -1);
	assert_int_equal(tend_service_lookup(sv[0], NULL, NULL, 0, msg, sizeof(msg)), -1);
	assert_int_equal(errno, EINVAL);
	assert_nothing_sent(sv[1]);
	close(sv[0]);
	close(sv[1]);
}

static void test_service_deregister(void **state)
{
	char msg[128], req[TEND_REQUEST_MAX];
	struct server s;
	int ret;

	(void)state;
	server_start(&s, RECORD, "OK 1 location(s) of web removed\n");
	ret = tend_service_deregister(s.fd, "web", "10.0.0.1", 8080, msg, sizeof(msg));
	server_finish(&s);
	recorded(req, sizeof(req));
	assert_int_equal(ret, 0);
	assert_string_equal(msg, "1 location(s) of web removed");
	assert_string_equal(req, "service deregister web --host 10.0.0.1 --port 8080");

	server_start(&s, RECORD, "ERR no such service: web\n");
	ret = tend_service_deregister(s.fd, "web", NULL, 0, msg, sizeof(msg));
	assert_int_equal(errno, EPROTO);
	server_finish(&s);
	recorded(req, sizeof(req));
	assert_int_equal(ret, -1);
	assert_string_equal(req, "service deregister web");
}

static const char three_locations[] =
    "> web 127.0.0.1:80/tcp index 2 owner g/p context path=/\n"
    "> web [::1]:80/tcp index 5 owner pid 99\n"
    "> web '10.0.0.1/unix:/a b' index 9 owner uid 1000 decoupled proxy\n"
    "OK\n";

/* lookup against a fake tend answering text; returns its result. */
static int lookup(const char *text, const char *name, struct tend_location *out, size_t max,
		  char *msg, size_t msglen, int *err)
{
	char req[TEND_REQUEST_MAX];
	struct server s;
	int ret;

	server_start(&s, RECORD, text);
	errno = 0;
	ret = tend_service_lookup(s.fd, name, out, max, msg, msglen);
	*err = errno;
	server_finish(&s);
	recorded(req, sizeof(req));
	assert_memory_equal(req, "service lookup ", 15);
	return ret;
}

static void test_service_lookup(void **state)
{
	static struct tend_location out[4];
	char msg[128];
	int err;

	(void)state;
	assert_int_equal(lookup(three_locations, "web", out, 4, msg, sizeof(msg), &err), 3);
	assert_string_equal(msg, "");
	assert_int_equal(out[0].owner, TEND_OWNER_PROCESS);
	assert_string_equal(out[1].host, "::1");
	assert_int_equal(out[1].owner_pid, 99);
	assert_string_equal(out[2].path, "/a b");
	assert_true(out[2].proxy);
	assert_true(out[2].decoupled);

	/* more than max: counted, only max filled */
	memset(out, 0, sizeof(out));
	assert_int_equal(lookup(three_locations, "web", out, 2, msg, sizeof(msg), &err), 3);
	assert_int_equal(out[1].index, 5);
	assert_string_equal(out[2].name, "");
	assert_int_equal(lookup(three_locations, "web", NULL, 0, msg, sizeof(msg), &err), 3);
	assert_int_equal(lookup(three_locations, "web", NULL, 5, NULL, 0, &err), 3);

	/* nobody offers it: none, not an error */
	assert_int_equal(
	    lookup("ERR no such service: web\n", "web", out, 4, msg, sizeof(msg), &err), 0);
	assert_string_equal(msg, "no such service: web");
	assert_int_equal(lookup("ERR no such service: web\n", "web", out, 4, NULL, 0, &err), 0);
	/* but that message about another name, or another error, is one */
	assert_int_equal(
	    lookup("ERR no such service: webs\n", "web", out, 4, msg, sizeof(msg), &err), -1);
	assert_int_equal(err, EPROTO);
	assert_int_equal(
	    lookup("ERR bad service name: a/b\n", "a/b", out, 4, msg, sizeof(msg), &err), -1);
	assert_int_equal(err, EPROTO);
	assert_string_equal(msg, "bad service name: a/b");

	/* a line it cannot read: an error, once the reply is read to its end */
	assert_int_equal(lookup("> web 127.0.0.1 index 1 owner nobody\n> web ::1 index 2 owner "
				"pid 1\nOK\n",
				"web", out, 4, msg, sizeof(msg), &err),
			 -1);
	assert_int_equal(err, EBADMSG);
	assert_non_null(strstr(msg, "cannot read a location from tend"));
	/* the connection closed mid-reply */
	assert_int_equal(
	    lookup("> web ::1 index 2 owner pid 1\n", "web", out, 4, msg, sizeof(msg), &err), -1);
	assert_int_equal(err, ECONNRESET);
}

/* ---- the watch against a fake tend --------------------------------------- */

/* A fake tend on a real socket in a temporary run directory (a watch
 * connects by run directory). It accepts one connection, reads the request
 * line, then plays its script: each step is written as it is, but WAIT
 * (waits for a byte on `go`) and REQUEST (writes "> " and the request).
 * At the end it closes the connection. */
#define WAIT ((const char *)1)
#define REQUEST ((const char *)2)

struct fake_tend {
	char dir[64];
	pid_t pid;
	int go; /* the parent's end */
};

static void fake_play(int lfd, int go, const char *const *script)
{
	char req[TEND_REQUEST_MAX + 1], c;
	size_t len = 0;
	ssize_t n;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		_exit(20);
	while (!memchr(req, '\n', len)) {
		n = read(fd, req + len, sizeof(req) - 1 - len);
		if (n <= 0)
			_exit(21);
		len += (size_t)n;
	}
	*(char *)memchr(req, '\n', len) = '\0';
	for (; *script; script++) {
		if (*script == WAIT) {
			if (read(go, &c, 1) != 1)
				_exit(22);
		} else if (*script == REQUEST) {
			put(fd, "> ", 2);
			put(fd, req, strlen(req));
			put(fd, "\n", 1);
		} else {
			put(fd, *script, strlen(*script));
		}
	}
	close(fd);
	_exit(0);
}

static void fake_start(struct fake_tend *f, const char *const *script)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, go[2];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_libtend.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", f->dir, TEND_SOCKET_NAME);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		close(go[1]);
		fake_play(lfd, go[0], script);
	}
	close(lfd);
	close(go[0]);
	f->go = go[1];
}

static void fake_go(struct fake_tend *f)
{
	assert_int_equal(write(f->go, "!", 1), 1);
}

static void fake_finish(struct fake_tend *f)
{
	char path[128];
	int status;

	close(f->go);
	while (waitpid(f->pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(path, sizeof(path), "%s/%s", f->dir, TEND_SOCKET_NAME);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(f->dir), 0);
}

/* The next event, waiting (5 s at most) for tend as a client's loop does. */
static int next_event(struct tend_watch *w, struct tend_watch_event *ev)
{
	struct pollfd p = { .fd = tend_watch_fd(w), .events = POLLIN };
	int r;

	for (;;) {
		r = tend_watch_next(w, ev);
		if (r != 0)
			return r;
		assert_int_equal(errno, EAGAIN);
		assert_int_equal(poll(&p, 1, 5000), 1);
	}
}

static void test_watch_stream(void **state)
{
	static const char *const script[] = {
		REQUEST,
		"> service add web 127.0.0.1:80 index 4 owner pid 9\n> sync 5\n> service remo",
		WAIT,
		"ve web 127.0.0.1:80 index 6 owner pid 9\n> group g stopping index 7\n",
		"> some future line\nOK tend is exiting\n",
		NULL,
	};
	static struct tend_watch_event ev;
	struct fake_tend f;
	struct tend_watch *w;
	uint64_t since = 42;
	char msg[128];

	(void)state;
	fake_start(&f, script);
	w = tend_watch_open(f.dir, "service", "web", &since, msg, sizeof(msg));
	assert_non_null(w);
	assert_true(fcntl(tend_watch_fd(w), F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(tend_watch_fd(w), F_GETFD) & FD_CLOEXEC);
	/* the request, echoed: a line of no kind it knows */
	assert_int_equal(next_event(w, &ev), 1);
	assert_int_equal(ev.kind, TEND_WATCH_OTHER);
	assert_string_equal(ev.line, "watch service web --since 42");
	assert_int_equal(next_event(w, &ev), 1);
	assert_int_equal(ev.kind, TEND_WATCH_SERVICE);
	assert_string_equal(ev.verb, "add");
	assert_int_equal(next_event(w, &ev), 1);
	assert_int_equal(ev.kind, TEND_WATCH_SYNC);
	assert_int_equal(ev.index, 5);
	/* half a line: nothing yet */
	errno = 0;
	assert_int_equal(tend_watch_next(w, &ev), 0);
	assert_int_equal(errno, EAGAIN);
	fake_go(&f);
	assert_int_equal(next_event(w, &ev), 1);
	assert_int_equal(ev.kind, TEND_WATCH_SERVICE);
	assert_string_equal(ev.verb, "remove");
	assert_int_equal(ev.index, 6);
	assert_int_equal(next_event(w, &ev), 1);
	assert_int_equal(ev.kind, TEND_WATCH_GROUP);
	assert_int_equal(next_event(w, &ev), 1);
	assert_int_equal(ev.kind, TEND_WATCH_OTHER);
	assert_string_equal(ev.line, "some future line");
	/* tend stopped: the end, and it stays the end */
	errno = 0;
	assert_int_equal(next_event(w, &ev), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_string_equal(ev.line, "tend is exiting");
	assert_int_equal(ev.kind, TEND_WATCH_OTHER);
	assert_int_equal(tend_watch_next(w, &ev), -1);
	assert_int_equal(errno, ECONNRESET);
	tend_watch_close(w);
	fake_finish(&f);
}

static void test_watch_refused(void **state)
{
	static const char *const script[] = { "ERR bad service name\n", NULL };
	struct fake_tend f;
	char msg[128];

	(void)state;
	fake_start(&f, script);
	errno = 0;
	assert_null(tend_watch_open(f.dir, "service", "a/b", NULL, msg, sizeof(msg)));
	assert_int_equal(errno, EPROTO);
	assert_string_equal(msg, "bad service name");
	fake_finish(&f);

	/* refused before asking */
	errno = 0;
	assert_null(tend_watch_open(f.dir, "services", "web", NULL, msg, sizeof(msg)));
	assert_int_equal(errno, EINVAL);
	assert_null(tend_watch_open(f.dir, "group", NULL, NULL, msg, sizeof(msg)));
	assert_int_equal(errno, EINVAL);
	assert_null(tend_watch_open(f.dir, "host", "", NULL, NULL, 0));
	assert_int_equal(errno, EINVAL);
	/* nobody there */
	assert_null(
	    tend_watch_open("/nonexistent/test_libtend", NULL, NULL, NULL, msg, sizeof(msg)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(msg, "cannot connect to tend"));
	assert_int_equal(tend_watch_fd(NULL), -1);
	tend_watch_close(NULL);
	assert_int_equal(tend_watch_next(NULL, NULL), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_watch_ends(void **state)
{
	static const char *const closed[] = { REQUEST, "> sync 1\n> resync\n> sync 2", NULL };
	static const char *const refused[] = { REQUEST, "ERR this connection watches already\n",
					       NULL };
	static const char *const garbage[] = { REQUEST, "garbage\n> sync 3\n", NULL };
	static struct tend_watch_event ev;
	struct tend_watch *w;
	struct fake_tend f;
	char msg[128];

	(void)state;
	/* closed without a status line; the half line at the end is dropped */
	fake_start(&f, closed);
	w = tend_watch_open(f.dir, "all", "ignored", NULL, msg, sizeof(msg));
	assert_non_null(w);
	assert_int_equal(next_event(w, &ev), 1);
	assert_string_equal(ev.line, "watch all");
	assert_int_equal(next_event(w, &ev), 1);
	assert_int_equal(ev.kind, TEND_WATCH_SYNC);
	assert_int_equal(next_event(w, &ev), 1);
	assert_int_equal(ev.kind, TEND_WATCH_RESYNC);
	assert_int_equal(next_event(w, &ev), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_string_equal(ev.line, "connection closed by tend");
	tend_watch_close(w);
	fake_finish(&f);

	/* an error after the first line */
	fake_start(&f, refused);
	w = tend_watch_open(f.dir, NULL, NULL, NULL, msg, sizeof(msg));
	assert_non_null(w);
	assert_int_equal(next_event(w, &ev), 1);
	assert_int_equal(next_event(w, &ev), -1);
	assert_int_equal(errno, EPROTO);
	assert_string_equal(ev.line, "this connection watches already");
	tend_watch_close(w);
	fake_finish(&f);

	/* not the protocol */
	fake_start(&f, garbage);
	w = tend_watch_open(f.dir, "host", "::1", NULL, msg, sizeof(msg));
	assert_non_null(w);
	assert_int_equal(next_event(w, &ev), 1);
	assert_string_equal(ev.line, "watch host ::1");
	assert_int_equal(next_event(w, &ev), -1);
	assert_int_equal(errno, EBADMSG);
	assert_non_null(strstr(ev.line, "garbage"));
	tend_watch_close(w);
	fake_finish(&f);
}

/* A line longer than the watch's buffer: its beginning as OTHER, then on. */
static void test_watch_long_line(void **state)
{
	static char huge[200000];
	const char *script[] = { REQUEST, huge, "\n> sync 9\n", NULL };
	static struct tend_watch_event ev;
	struct tend_watch *w;
	struct fake_tend f;
	char msg[128];

	(void)state;
	memcpy(huge, "> ", 2);
	memset(huge + 2, 'a', sizeof(huge) - 3);
	huge[sizeof(huge) - 1] = '\0';
	fake_start(&f, script);
	w = tend_watch_open(f.dir, "group", "g", NULL, msg, sizeof(msg));
	assert_non_null(w);
	assert_int_equal(next_event(w, &ev), 1);
	assert_string_equal(ev.line, "watch group g");
	assert_int_equal(next_event(w, &ev), 1);
	assert_int_equal(ev.kind, TEND_WATCH_OTHER);
	assert_int_equal(strlen(ev.line), TEND_WATCH_LINE_MAX - 1);
	assert_memory_equal(ev.line, huge + 2, TEND_WATCH_LINE_MAX - 1);
	assert_int_equal(next_event(w, &ev), 1);
	assert_int_equal(ev.kind, TEND_WATCH_SYNC);
	assert_int_equal(ev.index, 9);
	assert_int_equal(next_event(w, &ev), -1);
	tend_watch_close(w);
	fake_finish(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rundir_env, env_save, env_restore),
		cmocka_unit_test_setup_teardown(test_rundir_default, env_save, env_restore),
		cmocka_unit_test_setup_teardown(test_connect, env_save, env_restore),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_request_ok),
		cmocka_unit_test(test_request_err),
		cmocka_unit_test(test_request_split_writes),
		cmocka_unit_test(test_request_eof),
		cmocka_unit_test(test_request_bad_line),
		cmocka_unit_test(test_request_big_line),
		cmocka_unit_test(test_request_quoting),
		cmocka_unit_test(test_request_stop),
		cmocka_unit_test(test_request_two_on_one_connection),
		cmocka_unit_test(test_request_eintr),
		cmocka_unit_test(test_request_refused),
		cmocka_unit_test(test_request_newline_word),
		cmocka_unit_test(test_request_boundary),
		cmocka_unit_test(test_request_peer_gone),
		cmocka_unit_test(test_address_forms),
		cmocka_unit_test(test_address_longest),
		cmocka_unit_test(test_address_malformed),
		cmocka_unit_test(test_location_owners),
		cmocka_unit_test(test_location_context),
		cmocka_unit_test(test_location_malformed),
		cmocka_unit_test(test_event_service),
		cmocka_unit_test(test_event_others),
		cmocka_unit_test(test_event_malformed),
		cmocka_unit_test(test_event_long_line),
		cmocka_unit_test(test_service_register),
		cmocka_unit_test(test_service_register_refused),
		cmocka_unit_test(test_service_deregister),
		cmocka_unit_test(test_service_lookup),
		cmocka_unit_test(test_watch_stream),
		cmocka_unit_test(test_watch_refused),
		cmocka_unit_test(test_watch_ends),
		cmocka_unit_test(test_watch_long_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
