# lib/xmpp: the session layer over libstrophe and the request/reply codecs
# of each kind of account data (paths from the repository root).  The
# session itself (xmpp_session.c, xmpp_login.c) is listed by the top
# CMakeLists.txt, so that tests can swap it for tests/fake.
set(XPORTA_XMPP_SOURCES
  lib/xmpp/xmpp_stanza.c
  lib/xmpp/xmpp_client.c
  lib/xmpp/xmpp_kinds.c
  lib/xmpp/xmpp_moved.c
  lib/xmpp/xmpp_muc.c
  lib/xmpp/xmpp_mam.c)
