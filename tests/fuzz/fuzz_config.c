/* libFuzzer target for the conf.d parser: the input becomes one file.
 * Built and run by `make fuzz` (build/fuzz/fuzz_config).
 *
 * Besides not crashing, a failed parse must leave the model untouched and
 * say why; a successful one must say nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes the input to a fresh temporary file; returns its fd or -1. */
static int write_temp(char *path, size_t len, const uint8_t *data, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, len, "%s/fuzz_config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A marker: an input that is refused must leave it untouched. */
	struct config cfg = { .groups = (struct group_decl *)&cfg, .ngroups = 12345 };
	char path[4096], err[1024];
	int fd = write_temp(path, sizeof(path), data, size);
	int rc;

	if (fd < 0)
		return 0;
	rc = config_parse_file(path, &cfg, err, sizeof(err));
	close(fd);
	unlink(path);
	if (rc != 0) {
		if (cfg.groups != (struct group_decl *)&cfg || cfg.ngroups != 12345 || !err[0])
			abort();
		return 0;
	}
	if (err[0])
		abort();
	config_free(&cfg);
	return 0;
}
