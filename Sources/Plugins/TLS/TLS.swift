// The TLS plugin; see README.md in this folder.
