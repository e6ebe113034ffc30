# lib/xmpp: the session layer over libstrophe (paths from the repository root).
set(XPORTA_XMPP_SOURCES
  lib/xmpp/xmpp_session.c
  lib/xmpp/xmpp_stanza.c)
