# node/node.mk — zhucan-node, one dqlite node with zhucan on every connection
# (included by the top-level Makefile; docs/cluster.md explains it).
#
#   make node      build/zhucan-node (needs libdqlite-dev: make deps)
#
# Links Debian's libdqlite and libsqlite3 and the extension's objects, like
# build/zhucan; not part of `all`, so the extension's build needs no dqlite.
NODE_PKGS   := dqlite sqlite3
NODE_SRCS   := $(wildcard node/*.c)
NODE_HDRS   := $(wildcard node/*.h)
NODE_CFLAGS := $(WARN) $(DEFS) $(OPT) -pthread $(shell $(PKG_CONFIG) --cflags $(NODE_PKGS) 2>/dev/null) -Inode
NODE_LIBS   := $(shell $(PKG_CONFIG) --libs $(NODE_PKGS) 2>/dev/null) $(EXT_LIBS)
.PHONY: node node-pkgcheck
node: build/zhucan-node

node-pkgcheck:
	@$(PKG_CONFIG) --exists $(NODE_PKGS) 2>/dev/null || \
	  { echo "zhucan: packages missing ($(NODE_PKGS) via $(PKG_CONFIG)): run 'make deps' first"; exit 2; }

build/zhucan-node: $(NODE_SRCS) $(NODE_HDRS) $(OBJS) | node-pkgcheck build
	$(CC) $(NODE_CFLAGS) -o $@ $(NODE_SRCS) $(OBJS) $(NODE_LIBS)
