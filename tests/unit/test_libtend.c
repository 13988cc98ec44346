/* libtend client: the default run directory, connecting, quoting, and
 * tend_request against a fake tend (a forked child on a socketpair). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
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

#include "libtend/cmdline.h"
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
};

struct server {
	pid_t pid;
	int fd; /* the client's end */
};

/* SLOW: the client's fd (its number in the parent), and a pipe whose write
 * end the parent's signal handler writes a byte to. */
static int slow_client_fd = -1;
static int slow_ack[2] = { -1, -1 };

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

	put(fd, "> ", 2);
	put(fd, req, strlen(req));
	put(fd, "\n", 1);
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
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		close(sv[0]);
		if (how == SLOW)
			close(slow_ack[1]);
		serve(sv[1], how, text);
	}
	close(sv[1]);
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
	expect(CANNED, "", -1, L(NULL), "connection closed by tend");
	expect(CANNED, "> a\n", -1, L("a"), "connection closed by tend");
	expect(CANNED, "> a\n> unfinish", -1, L("a"), "connection closed by tend");
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
	char *too_long[] = { word, NULL }, *nl[] = { "logs", "a\nb", NULL }, *empty[] = { NULL };
	struct lines l = { 0 };
	char err[128];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	memset(word, 'a', TEND_REQUEST_MAX);
	word[TEND_REQUEST_MAX] = '\0';
	assert_int_equal(tend_request(sv[0], too_long, collect, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(tend_request(sv[0], nl, collect, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "newline"));
	assert_int_equal(tend_request(sv[0], empty, collect, &l, err, sizeof(err)), -1);
	assert_int_equal(tend_request(sv[0], NULL, collect, &l, err, sizeof(err)), -1);
	assert_nothing_sent(sv[1]);
	assert_int_equal(l.n, 0);
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
		cmocka_unit_test(test_request_boundary),
		cmocka_unit_test(test_request_peer_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
