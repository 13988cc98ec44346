/* libFuzzer target for the conf.d parser, on whole directories: the input
 * is cut into files at lines "--- NAME" (the text before the first one is
 * 00.conf; a NAME that is no plain file name, or is taken, becomes NN.conf),
 * written into a temporary conf.d, and read with config_load_dir as tend
 * reads conf.d (names that do not end in .conf are skipped by it). Built
 * and run by `make fuzz`; its dictionary has every option name.
 *
 * Besides not crashing, a failed parse must leave the model untouched and
 * say why, naming a file of the directory (file:line: message); a
 * successful one must say nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILES_MAX 8

static char dir[64];
static char files[FILES_MAX][128];
static size_t nfiles;

static void remove_files(void)
{
	for (size_t i = 0; i < nfiles; i++)
		unlink(files[i]);
	nfiles = 0;
}

static void remove_dir(void)
{
	remove_files();
	rmdir(dir);
}

/* Once per fuzzer process; removed at exit (libFuzzer ends with exit()). */
static void make_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/fuzz_config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (strlen(dir) > 40 || !mkdtemp(dir))
		abort();
	atexit(remove_dir);
}

/* A name fit for a file of dir: letters, digits, '.', '-', '_', not "."
 * or "..", at most 32 bytes. */
static bool plain_name(const char *s, size_t len)
{
	if (len == 0 || len > 32 || (len <= 2 && strspn(s, ".") >= len))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!s[i] || /* strchr finds the terminator */
		    !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_",
			    s[i]))
			return false;
	return true;
}

static bool taken(const char *path)
{
	for (size_t i = 0; i < nfiles; i++)
		if (strcmp(files[i], path) == 0)
			return true;
	return false;
}

/* One file: name (len bytes, maybe not plain) and its text. */
static void write_file(const char *name, size_t len, const uint8_t *text, size_t size)
{
	char *path = files[nfiles];
	if (nfiles == FILES_MAX)
		return;
	if (plain_name(name, len))
		snprintf(path, sizeof(files[0]), "%s/%.*s", dir, (int)len, name);
	if (!plain_name(name, len) || taken(path))
		snprintf(path, sizeof(files[0]), "%s/%02zu.conf", dir, nfiles);
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	nfiles++;
	if (fwrite(text, 1, size, f) != size || fclose(f) != 0)
		abort();
}

/* Where the next "--- " at the start of a line is, from p (itself at the
 * start of a line); NULL: none. */
static const char *next_separator(const char *p, const char *end)
{
	if (end - p >= 4 && memcmp(p, "--- ", 4) == 0)
		return p;
	const char *hit = memmem(p, (size_t)(end - p), "\n--- ", 5);
	return hit ? hit + 1 : NULL;
}

/* The input cut at each "--- NAME" line into files. */
static void write_files(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	const char *name = "00.conf";
	size_t name_len = strlen(name);
	for (;;) {
		const char *sep = next_separator(p, end);
		write_file(name, name_len, (const uint8_t *)p, (size_t)((sep ? sep : end) - p));
		if (!sep)
			return;
		name = sep + 4;
		const char *nl = memchr(name, '\n', (size_t)(end - name));
		name_len = (size_t)((nl ? nl : end) - name);
		if (!nl)
			return;
		p = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A marker: an input that is refused must leave it untouched. */
	struct config cfg = { .groups = (struct group_decl *)&cfg, .ngroups = 12345 };
	char err[8192];
	if (!dir[0])
		make_dir();
	write_files(data, size);
	int rc = config_load_dir(dir, &cfg, err, sizeof(err));
	remove_files();
	if (rc != 0) {
		if (cfg.groups != (struct group_decl *)&cfg || cfg.ngroups != 12345 || !err[0])
			abort();
		if (strncmp(err, dir, strlen(dir)) != 0)
			abort(); /* an error that names no file of conf.d */
		return 0;
	}
	if (err[0])
		abort();
	config_free(&cfg);
	return 0;
}
