/* cmdline_split / cmdline_quote / argv helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libtend/cmdline.h"

/* Splits line and checks the words against want (NULL-terminated). */
static void splits(const char *line, const char *const *want)
{
	const char *error = NULL;
	char **argv = cmdline_split(line, &error);
	size_t i;

	if (!argv)
		fail_msg("\"%s\": %s", line, error);
	for (i = 0; want[i]; i++) {
		if (!argv[i])
			fail_msg("\"%s\": only %zu words, want \"%s\" next", line, i, want[i]);
		if (strcmp(argv[i], want[i]) != 0)
			fail_msg("\"%s\": word %zu is \"%s\", want \"%s\"", line, i, argv[i],
				 want[i]);
	}
	if (argv[i])
		fail_msg("\"%s\": extra word \"%s\"", line, argv[i]);
	assert_int_equal(argv_count(argv), i);
	argv_free(argv);
}

#define SPLITS(line, ...) splits(line, (const char *const[]){ __VA_ARGS__, NULL })
#define SPLITS_NOTHING(line) splits(line, (const char *const[]){ NULL })

static void fails(const char *line, const char *want_error)
{
	const char *error = NULL;
	char **argv;

	errno = 0;
	argv = cmdline_split(line, &error);
	if (argv)
		fail_msg("\"%s\" was accepted", line);
	assert_non_null(error);
	assert_string_equal(error, want_error);
	assert_int_equal(errno, EINVAL);
}

static void test_blanks(void **state)
{
	(void)state;
	SPLITS_NOTHING("");
	SPLITS_NOTHING("   ");
	SPLITS_NOTHING(" \t\n ");
	SPLITS_NOTHING(NULL);
	SPLITS("a", "a");
	SPLITS("a b c", "a", "b", "c");
	SPLITS("  a   b  ", "a", "b");
	SPLITS("a\tb\nc", "a", "b", "c");
	SPLITS("/usr/bin/db --fg", "/usr/bin/db", "--fg");
}

static void test_single_quotes(void **state)
{
	(void)state;
	SPLITS("'a b'", "a b");
	SPLITS("''", "");
	SPLITS("'a\\b'", "a\\b");
	SPLITS("'a\"b'", "a\"b");
	SPLITS("'$HOME `x`'", "$HOME `x`");
	SPLITS("'line\nbreak'", "line\nbreak");
	SPLITS("/usr/sbin/nginx -g 'daemon off;'", "/usr/sbin/nginx", "-g", "daemon off;");
}

static void test_double_quotes(void **state)
{
	(void)state;
	SPLITS("\"a b\"", "a b");
	SPLITS("\"\"", "");
	SPLITS("\"a\\\"b\"", "a\"b");
	SPLITS("\"a\\\\b\"", "a\\b");
	SPLITS("\"\\$x\"", "$x");
	SPLITS("\"\\`\"", "`");
	SPLITS("\"a\\\nb\"", "ab");	      /* backslash-newline vanishes */
	SPLITS("\"\\n\\t\\a\"", "\\n\\t\\a"); /* other backslashes stay */
	SPLITS("\"it's\"", "it's");
	SPLITS("\"$HOME\"", "$HOME"); /* no expansion */
	SPLITS("\"a\nb\"", "a\nb");
}

static void test_backslash(void **state)
{
	(void)state;
	SPLITS("a\\ b", "a b");
	SPLITS("\\'", "'");
	SPLITS("\\\"", "\"");
	SPLITS("\\\\", "\\");
	SPLITS("a\\\nb", "ab");
	SPLITS("a \\\n b", "a", "b"); /* a continuation alone is no word */
	SPLITS("\\n", "n");
}

static void test_joining(void **state)
{
	(void)state;
	SPLITS("a\"b\"'c'", "abc");
	SPLITS("\"\"''", "");
	SPLITS("a \"\" b", "a", "", "b");
	SPLITS("'' ''", "", "");
	SPLITS("x=\"1 2\"", "x=1 2");
	SPLITS("--opt='a b'c", "--opt=a bc");
}

static void test_literal_specials(void **state)
{
	(void)state;
	SPLITS("a;b|c&d", "a;b|c&d");
	SPLITS("$HOME ~ * ? # >x <y", "$HOME", "~", "*", "?", "#", ">x", "<y");
	SPLITS("sh -c 'echo $1; exit 3'", "sh", "-c", "echo $1; exit 3");
}

static void test_dollar_quotes(void **state)
{
	(void)state;
	SPLITS("$'a\\nb'", "a\nb");
	SPLITS("$'\\t\\r\\a\\b\\e\\f\\v'", "\t\r\a\b\033\f\v");
	SPLITS("$'it\\'s' $'\\\\' $'\\\"'", "it's", "\\", "\"");
	SPLITS("$'\\x41\\x4a\\x4Bz' $'\\101\\1011'", "AJKz", "AA1");
	SPLITS("$'\\q' $'a b'", "\\q", "a b"); /* an unknown escape keeps its backslash */
	SPLITS("x$'\\n'y\"z\"", "x\nyz");
	SPLITS("$''", "");
	SPLITS("$ '$' \"$'a'\"", "$", "$", "$'a'"); /* only $ right before ' */
	fails("$'abc", "unterminated $' quote");
	fails("$'abc\\'", "unterminated $' quote");
	fails("$'a\\0b'", "NUL byte in $' quote");
	fails("$'\\x00'", "NUL byte in $' quote");
}

static void test_errors(void **state)
{
	(void)state;
	fails("'abc", "unterminated single quote");
	fails("a 'b c", "unterminated single quote");
	fails("\"abc", "unterminated double quote");
	fails("\"abc\\\"", "unterminated double quote");
	fails("abc\\", "trailing backslash");
	fails("\\", "trailing backslash");
	/* error may be NULL */
	assert_null(cmdline_split("'x", NULL));
}

/* Quotes word into a fresh buffer and checks the text. */
static void quotes(const char *word, const char *want)
{
	char buf[256] = "";

	assert_int_equal(cmdline_quote(word, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_quote(void **state)
{
	(void)state;
	quotes("plain", "plain");
	quotes("/usr/bin/x", "/usr/bin/x");
	quotes("a_b.c:d=e@f%g+h,i-j", "a_b.c:d=e@f%g+h,i-j");
	quotes("", "''");
	quotes("a b", "'a b'");
	quotes("it's", "'it'\\''s'");
	quotes("'", "''\\'''");
	quotes("$HOME", "'$HOME'");
	quotes("a\"b", "'a\"b'");
	quotes("a\\b", "'a\\b'");
	quotes("tab\there", "'tab\there'");
	quotes("~", "'~'");
	quotes("#", "'#'");
	/* a newline or CR would end a request line: $'...' */
	quotes("a\nb", "$'a\\nb'");
	quotes("it's\r\n\\", "$'it\\'s\\r\\n\\\\'");
}

static void test_quote_appends(void **state)
{
	char buf[16] = "cmd ";

	(void)state;
	assert_int_equal(cmdline_quote("a b", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "cmd 'a b'");
	assert_int_equal(cmdline_quote("x", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "cmd 'a b'x");
}

static void test_quote_no_room(void **state)
{
	char buf[8];

	(void)state;
	strcpy(buf, "abc");
	assert_int_equal(cmdline_quote("1234", buf, sizeof(buf)), 4); /* exactly fits */
	assert_string_equal(buf, "abc1234");
	strcpy(buf, "abc");
	assert_int_equal(cmdline_quote("12345", buf, sizeof(buf)), -1);
	assert_string_equal(buf, "abc"); /* unchanged */
	strcpy(buf, "");
	assert_int_equal(cmdline_quote("a b c d", buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	memset(buf, 'x', sizeof(buf)); /* not even a string */
	assert_int_equal(cmdline_quote("a", buf, sizeof(buf)), -1);
	assert_int_equal(cmdline_quote("a", buf, 0), -1);
	assert_int_equal(cmdline_quote(NULL, buf, sizeof(buf)), -1);
}

/* Joins the quoted words with blanks and checks the split gives them back. */
static void roundtrip(const char *const *words, size_t n)
{
	char line[4096] = "";
	const char *error;
	char **argv;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(line, " ");
		assert_true(cmdline_quote(words[i], line, sizeof(line)) >= 0);
	}
	argv = cmdline_split(line, &error);
	assert_non_null(argv);
	assert_int_equal(argv_count(argv), n);
	for (i = 0; i < n; i++)
		assert_string_equal(argv[i], words[i]);
	argv_free(argv);
}

static void test_roundtrip(void **state)
{
	static const char *const words[] = {
		"plain", "",   "a b", "it's",	"''",	  "\"\"", "\\", "\\\\'", "$x",	  "`id`",
		"a\nb",	 "\t", " ",   "'\"'\"", "x\\\ny", "-",	  "--", "=",	 "a'b'c",
	};
	char all[256];
	int c;

	(void)state;
	roundtrip(words, sizeof(words) / sizeof(words[0]));
	for (c = 1; c < 256; c++)
		all[c - 1] = (char)c;
	all[255] = '\0';
	roundtrip((const char *const[]){ all }, 1);
}

/* Every single byte, and every pair of bytes, as its own word. */
static void test_roundtrip_bytes(void **state)
{
	char w1[2] = { 0 }, w2[3] = { 0 };
	int a, b;

	(void)state;
	for (a = 1; a < 256; a++) {
		w1[0] = (char)a;
		roundtrip((const char *const[]){ w1 }, 1);
		for (b = 1; b < 256; b += 7) {
			w2[0] = (char)a;
			w2[1] = (char)b;
			roundtrip((const char *const[]){ w2, w1 }, 2);
		}
	}
}

static void test_argv_helpers(void **state)
{
	char *src[] = { "a", "", "c d", NULL };
	char *none[] = { NULL };
	char **copy;

	(void)state;
	assert_int_equal(argv_count(NULL), 0);
	assert_int_equal(argv_count(none), 0);
	assert_int_equal(argv_count(src), 3);
	copy = argv_dup(src);
	assert_non_null(copy);
	assert_int_equal(argv_count(copy), 3);
	assert_string_equal(copy[0], "a");
	assert_string_equal(copy[1], "");
	assert_string_equal(copy[2], "c d");
	assert_ptr_not_equal(copy[0], src[0]);
	assert_null(copy[3]);
	argv_free(copy);
	copy = argv_dup(none);
	assert_non_null(copy);
	assert_null(copy[0]);
	argv_free(copy);
	assert_null(argv_dup(NULL));
	argv_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blanks),		cmocka_unit_test(test_single_quotes),
		cmocka_unit_test(test_double_quotes),	cmocka_unit_test(test_backslash),
		cmocka_unit_test(test_joining),		cmocka_unit_test(test_literal_specials),
		cmocka_unit_test(test_dollar_quotes),	cmocka_unit_test(test_errors),
		cmocka_unit_test(test_quote),		cmocka_unit_test(test_quote_appends),
		cmocka_unit_test(test_quote_no_room),	cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_bytes), cmocka_unit_test(test_argv_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
