/* The cluster section's fields: what `interface`, `id`, `address` and a
 * group's `prefer` accept, and comparing the section on reload. */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include "base/str.h"
#include "config/config.h"

bool valid_ipv4_literal(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

bool valid_ipv4_prefix(const char *s)
{
	const char *slash = strchr(s, '/');
	char addr[INET_ADDRSTRLEN];
	char *end;
	long bits;

	if (!slash || (size_t)(slash - s) >= sizeof(addr) || !slash[1])
		return false;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	bits = strtol(slash + 1, &end, 10);
	return valid_ipv4_literal(addr) && *end == '\0' && slash[1] >= '0' && slash[1] <= '9' &&
	       bits >= 1 && bits <= 32;
}

bool valid_interface_option(const char *s)
{
	size_t n = strlen(s);

	if (strcmp(s, "auto") == 0)
		return true;
	if (n == 0 || n >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

bool cluster_decl_equal(const struct cluster_decl *a, const struct cluster_decl *b)
{
	return !a->file == !b->file && str_equal(a->interface, b->interface) &&
	       str_equal(a->key_file, b->key_file) && str_equal(a->id, b->id) &&
	       str_equal(a->address, b->address) && a->port == b->port &&
	       a->heartbeat_ms == b->heartbeat_ms && a->dead_after_ms == b->dead_after_ms;
}

void cluster_decl_free(struct cluster_decl *c)
{
	free(c->interface);
	free(c->key_file);
	free(c->id);
	free(c->address);
	free(c->file);
	*c = (struct cluster_decl){ 0 };
}
