// The Mplex plugin; see README.md in this folder.
