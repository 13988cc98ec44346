/* The fixture of the unit tests that load declarations: a fresh conf.d
 * directory made before each test and removed after it, what the load
 * said (err), what a test expects it to say (want), and what it read. */
#ifndef TEND_TEST_CONF_FIXTURE_H
#define TEND_TEST_CONF_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "files.h"

#define ERR_SIZE 8192

struct fixture {
	char dir[64];
	char err[ERR_SIZE];
	char want[ERR_SIZE];
	struct config cfg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/tend-test-config-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	config_free(&f->cfg);
	remove_test_tree(f->dir);
	free(f);
	return 0;
}

#endif
