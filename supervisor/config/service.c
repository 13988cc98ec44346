/* The fields of a services directory location, checked the same way
 * whether conf.d declares them or a client registers them. */
#include "config/config.h"

#include <arpa/inet.h>
#include <string.h>

static bool service_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

bool valid_service_name(const char *name)
{
	size_t i;
	/* not "-x": it would read as an option in a request */
	if (!name || !name[0] || name[0] == '-')
		return false;
	for (i = 0; name[i]; i++)
		if (i >= SERVICE_NAME_MAX || !service_name_char(name[i]))
			return false;
	return true;
}

bool valid_host_literal(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];
	if (!host)
		return false;
	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

static const char *const proto_names[] = {
	[PROTO_NONE] = "", [PROTO_TCP] = "tcp", [PROTO_UDP] = "udp", [PROTO_UNIX] = "unix"
};

int service_proto_parse(const char *name, enum service_proto *p)
{
	for (size_t i = PROTO_TCP; i <= PROTO_UNIX; i++)
		if (name && strcmp(name, proto_names[i]) == 0) {
			*p = (enum service_proto)i;
			return 0;
		}
	return -1;
}

const char *service_proto_name(enum service_proto p)
{
	return p <= PROTO_UNIX ? proto_names[p] : "?";
}

/* The length of entry's key, or 0 when it is not "key=value" with a key
 * of service name characters. */
static size_t context_key_len(const char *entry)
{
	size_t n = 0;
	while (entry[n] && entry[n] != '=' && service_name_char(entry[n]))
		n++;
	return entry[n] == '=' && n > 0 && n <= SERVICE_NAME_MAX ? n : 0;
}

static bool context_value_ok(const char *value)
{
	for (const unsigned char *s = (const unsigned char *)value; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int service_context_check(char *const *context, const char **why)
{
	size_t bytes = 0, n;
	if (!context)
		return 0;
	for (n = 0; context[n]; n++) {
		size_t key = context_key_len(context[n]);
		if (n >= SERVICE_CONTEXT_MAX) {
			*why = "more than 16 context entries";
			return -1;
		}
		if (!key) {
			*why = "context entries are key=value, the key of A-Z a-z 0-9 _ . -";
			return -1;
		}
		if (!context_value_ok(context[n] + key + 1)) {
			*why = "a context value holds a control character";
			return -1;
		}
		for (size_t j = 0; j < n; j++)
			if (strncmp(context[j], context[n], key + 1) == 0) {
				*why = "a context key is given twice";
				return -1;
			}
		bytes += strlen(context[n]);
	}
	if (bytes > SERVICE_CONTEXT_BYTES) {
		*why = "context is longer than 1024 bytes";
		return -1;
	}
	return 0;
}

int service_address_check(unsigned port, enum service_proto proto, const char *path,
			  const char **why)
{
	if (port > 65535) {
		*why = "port must be 1 to 65535";
		return -1;
	}
	if (proto == PROTO_UNIX) {
		if (port)
			*why = "a unix socket has a path, not a port";
		else if (!path || path[0] != '/')
			*why = "a unix socket needs an absolute path";
		else if (strlen(path) > SERVICE_PATH_MAX)
			*why = "a unix socket path is at most 107 bytes";
		else if (!context_value_ok(path))
			/* a newline would split a lookup's or a watch's line in two */
			*why = "a unix socket path holds a control character";
		else
			return 0;
		return -1;
	}
	if (path) {
		*why = "only a unix socket has a path";
		return -1;
	}
	return 0;
}
