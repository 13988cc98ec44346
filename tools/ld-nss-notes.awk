# Filters the output of tend's static link: drops glibc's notes that
# getpwnam, getpwuid, getaddrinfo, getprotobyname or getprotobynumber need its
# shared NSS modules at run time (libconfuse and libnl refer to them; tend
# never calls them), each with the "in function" line that introduces it.
# Every other line, warnings about any other function included, passes.
/: in function .*:$/ {
	if (held != "")
		print held
	held = $0
	next
}
/warning: Using '(getpwnam|getpwuid|getaddrinfo|getprotobyname|getprotobynumber)' in statically linked/ {
	held = ""
	next
}
{
	if (held != "")
		print held
	held = ""
	print
}
END {
	if (held != "")
		print held
}
