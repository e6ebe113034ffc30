--
-- PostgreSQL database dump
--

\restrict MTOr5yq0KoxXesBPS1ruD882dbtgF5j6WTD9bd6pmyYxZrgjGI417eNthGtLTZq

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Data for Name: archive; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.archive VALUES ('alice', 1796436979551885, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-1'' xmlns=''jabber:client''><body>alice to bob 1</body></message>', 'alice to bob 1', 1, 'chat', '', '2026-12-05 02:16:19.651927');
INSERT INTO public.archive VALUES ('bob', 1796436979656291, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-1'' xmlns=''jabber:client''><body>alice to bob 1</body></message>', 'alice to bob 1', 2, 'chat', '', '2026-12-05 02:16:19.74794');
INSERT INTO public.archive VALUES ('bob', 1796436979759759, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-1'' xmlns=''jabber:client''><body>bob to alice 1</body></message>', 'bob to alice 1', 3, 'chat', '', '2026-12-05 02:16:19.803934');
INSERT INTO public.archive VALUES ('alice', 1796436979805645, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-1'' xmlns=''jabber:client''><body>bob to alice 1</body></message>', 'bob to alice 1', 4, 'chat', '', '2026-12-05 02:16:19.847961');
INSERT INTO public.archive VALUES ('alice', 1796436979863628, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-2'' xmlns=''jabber:client''><body>alice to bob 2</body></message>', 'alice to bob 2', 5, 'chat', '', '2026-12-05 02:16:19.907972');
INSERT INTO public.archive VALUES ('bob', 1796436979911791, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-2'' xmlns=''jabber:client''><body>alice to bob 2</body></message>', 'alice to bob 2', 6, 'chat', '', '2026-12-05 02:16:19.955962');
INSERT INTO public.archive VALUES ('bob', 1796436979966841, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-2'' xmlns=''jabber:client''><body>bob to alice 2</body></message>', 'bob to alice 2', 7, 'chat', '', '2026-12-05 02:16:20.007816');
INSERT INTO public.archive VALUES ('alice', 1796436980009004, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-2'' xmlns=''jabber:client''><body>bob to alice 2</body></message>', 'bob to alice 2', 8, 'chat', '', '2026-12-05 02:16:20.055862');
INSERT INTO public.archive VALUES ('alice', 1796436980071477, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-3'' xmlns=''jabber:client''><body>alice to bob 3</body></message>', 'alice to bob 3', 9, 'chat', '', '2026-12-05 02:16:20.120105');
INSERT INTO public.archive VALUES ('bob', 1796436980120997, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-3'' xmlns=''jabber:client''><body>alice to bob 3</body></message>', 'alice to bob 3', 10, 'chat', '', '2026-12-05 02:16:20.121191');
INSERT INTO public.archive VALUES ('bob', 1796436980132042, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-3'' xmlns=''jabber:client''><body>bob to alice 3</body></message>', 'bob to alice 3', 11, 'chat', '', '2026-12-05 02:16:20.179882');
INSERT INTO public.archive VALUES ('alice', 1796436980181032, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-3'' xmlns=''jabber:client''><body>bob to alice 3</body></message>', 'bob to alice 3', 12, 'chat', '', '2026-12-05 02:16:20.181189');
INSERT INTO public.archive VALUES ('alice', 1796436980188096, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-4'' xmlns=''jabber:client''><body>alice to bob 4</body></message>', 'alice to bob 4', 13, 'chat', '', '2026-12-05 02:16:20.188196');
INSERT INTO public.archive VALUES ('bob', 1796436980188587, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-4'' xmlns=''jabber:client''><body>alice to bob 4</body></message>', 'alice to bob 4', 14, 'chat', '', '2026-12-05 02:16:20.188677');
INSERT INTO public.archive VALUES ('bob', 1796436980198623, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-4'' xmlns=''jabber:client''><body>bob to alice 4</body></message>', 'bob to alice 4', 15, 'chat', '', '2026-12-05 02:16:20.198704');
INSERT INTO public.archive VALUES ('alice', 1796436980199140, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-4'' xmlns=''jabber:client''><body>bob to alice 4</body></message>', 'bob to alice 4', 16, 'chat', '', '2026-12-05 02:16:20.199225');
INSERT INTO public.archive VALUES ('alice', 1796436980212365, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-5'' xmlns=''jabber:client''><body>alice to bob 5</body></message>', 'alice to bob 5', 17, 'chat', '', '2026-12-05 02:16:20.212471');
INSERT INTO public.archive VALUES ('bob', 1796436980212915, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-5'' xmlns=''jabber:client''><body>alice to bob 5</body></message>', 'alice to bob 5', 18, 'chat', '', '2026-12-05 02:16:20.213013');
INSERT INTO public.archive VALUES ('bob', 1796436980222838, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-5'' xmlns=''jabber:client''><body>bob to alice 5</body></message>', 'bob to alice 5', 19, 'chat', '', '2026-12-05 02:16:20.222928');
INSERT INTO public.archive VALUES ('alice', 1796436980223375, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-5'' xmlns=''jabber:client''><body>bob to alice 5</body></message>', 'bob to alice 5', 20, 'chat', '', '2026-12-05 02:16:20.223457');
INSERT INTO public.archive VALUES ('alice', 1796436980237523, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-6'' xmlns=''jabber:client''><body>alice to bob 6</body></message>', 'alice to bob 6', 21, 'chat', '', '2026-12-05 02:16:20.237616');
INSERT INTO public.archive VALUES ('bob', 1796436980238230, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-6'' xmlns=''jabber:client''><body>alice to bob 6</body></message>', 'alice to bob 6', 22, 'chat', '', '2026-12-05 02:16:20.238314');
INSERT INTO public.archive VALUES ('bob', 1796436980249771, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-6'' xmlns=''jabber:client''><body>bob to alice 6</body></message>', 'bob to alice 6', 23, 'chat', '', '2026-12-05 02:16:20.249952');
INSERT INTO public.archive VALUES ('alice', 1796436980250544, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-6'' xmlns=''jabber:client''><body>bob to alice 6</body></message>', 'bob to alice 6', 24, 'chat', '', '2026-12-05 02:16:20.250676');
INSERT INTO public.archive VALUES ('alice', 1796436980263883, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-7'' xmlns=''jabber:client''><body>alice to bob 7</body></message>', 'alice to bob 7', 25, 'chat', '', '2026-12-05 02:16:20.264095');
INSERT INTO public.archive VALUES ('bob', 1796436980265376, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-7'' xmlns=''jabber:client''><body>alice to bob 7</body></message>', 'alice to bob 7', 26, 'chat', '', '2026-12-05 02:16:20.265501');
INSERT INTO public.archive VALUES ('bob', 1796436980273630, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-7'' xmlns=''jabber:client''><body>bob to alice 7</body></message>', 'bob to alice 7', 27, 'chat', '', '2026-12-05 02:16:20.27382');
INSERT INTO public.archive VALUES ('alice', 1796436980276321, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-7'' xmlns=''jabber:client''><body>bob to alice 7</body></message>', 'bob to alice 7', 28, 'chat', '', '2026-12-05 02:16:20.27652');
INSERT INTO public.archive VALUES ('alice', 1796436980288817, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-8'' xmlns=''jabber:client''><body>alice to bob 8</body></message>', 'alice to bob 8', 29, 'chat', '', '2026-12-05 02:16:20.289024');
INSERT INTO public.archive VALUES ('bob', 1796436980349019, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-10'' xmlns=''jabber:client''><body>bob to alice 10</body></message>', 'bob to alice 10', 39, 'chat', '', '2026-12-05 02:16:20.349168');
INSERT INTO public.archive VALUES ('bob', 1796436980289963, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-8'' xmlns=''jabber:client''><body>alice to bob 8</body></message>', 'alice to bob 8', 30, 'chat', '', '2026-12-05 02:16:20.290152');
INSERT INTO public.archive VALUES ('alice', 1796436980349780, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-10'' xmlns=''jabber:client''><body>bob to alice 10</body></message>', 'bob to alice 10', 40, 'chat', '', '2026-12-05 02:16:20.349901');
INSERT INTO public.archive VALUES ('bob', 1796436980298316, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-8'' xmlns=''jabber:client''><body>bob to alice 8</body></message>', 'bob to alice 8', 31, 'chat', '', '2026-12-05 02:16:20.298443');
INSERT INTO public.archive VALUES ('alice', 1796436980299030, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-8'' xmlns=''jabber:client''><body>bob to alice 8</body></message>', 'bob to alice 8', 32, 'chat', '', '2026-12-05 02:16:20.299173');
INSERT INTO public.archive VALUES ('alice', 1796436980313178, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-9'' xmlns=''jabber:client''><body>alice to bob 9</body></message>', 'alice to bob 9', 33, 'chat', '', '2026-12-05 02:16:20.31338');
INSERT INTO public.archive VALUES ('bob', 1796436980314244, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-9'' xmlns=''jabber:client''><body>alice to bob 9</body></message>', 'alice to bob 9', 34, 'chat', '', '2026-12-05 02:16:20.314362');
INSERT INTO public.archive VALUES ('bob', 1796436985615121, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''offline-1'' xmlns=''jabber:client''><body>while you were away</body></message>', 'while you were away', 41, 'chat', '', '2026-12-05 02:16:25.61522');
INSERT INTO public.archive VALUES ('alice', 1796436989197039, 'paula@new2.localhost/fill2', 'paula@new2.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''paula@new2.localhost/fill2'' type=''chat'' id=''vhost2-1'' xmlns=''jabber:client''><body>hello from the second vhost</body></message>', 'hello from the second vhost', 44, 'chat', '', '2026-12-05 02:16:29.197179');
INSERT INTO public.archive VALUES ('bob', 1796436980323623, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-9'' xmlns=''jabber:client''><body>bob to alice 9</body></message>', 'bob to alice 9', 35, 'chat', '', '2026-12-05 02:16:20.323748');
INSERT INTO public.archive VALUES ('alice', 1796436980324358, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-9'' xmlns=''jabber:client''><body>bob to alice 9</body></message>', 'bob to alice 9', 36, 'chat', '', '2026-12-05 02:16:20.324454');
INSERT INTO public.archive VALUES ('alice', 1796436985615729, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''offline-1'' xmlns=''jabber:client''><body>while you were away</body></message>', 'while you were away', 42, 'chat', '', '2026-12-05 02:16:25.660271');
INSERT INTO public.archive VALUES ('alice', 1796436980338466, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-10'' xmlns=''jabber:client''><body>alice to bob 10</body></message>', 'alice to bob 10', 37, 'chat', '', '2026-12-05 02:16:20.338665');
INSERT INTO public.archive VALUES ('bob', 1796436980339679, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-10'' xmlns=''jabber:client''><body>alice to bob 10</body></message>', 'alice to bob 10', 38, 'chat', '', '2026-12-05 02:16:20.339817');
INSERT INTO public.archive VALUES ('paula', 1796436989109027, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''paula@new2.localhost/fill2'' type=''chat'' id=''vhost2-1'' xmlns=''jabber:client''><body>hello from the second vhost</body></message>', 'hello from the second vhost', 43, 'chat', '', '2026-12-05 02:16:29.195801');


--
-- Data for Name: archive_prefs; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.archive_prefs VALUES ('alice', 'always', '[{<<"bob">>,<<"new.localhost">>,<<>>}]', '[{<<"erin">>,<<"new.localhost">>,<<>>}]', '2026-12-05 02:16:24.579833');


--
-- Data for Name: bosh; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: caps_features; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: last; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.last VALUES ('erin', '1796436974', 'Registered but didn''t login');
INSERT INTO public.last VALUES ('frank', '1796436974', 'Registered but didn''t login');
INSERT INTO public.last VALUES ('grace', '1796436974', 'Registered but didn''t login');
INSERT INTO public.last VALUES ('troll', '1796436975', 'Registered but didn''t login');
INSERT INTO public.last VALUES ('paula', '1796436975', 'Registered but didn''t login');
INSERT INTO public.last VALUES ('alice', '1796436984', 'Stream reset by peer');
INSERT INTO public.last VALUES ('dave', '1796436986', 'Stream reset by peer');
INSERT INTO public.last VALUES ('carol', '1796436986', 'Stream reset by peer');
INSERT INTO public.last VALUES ('bob', '1796436986', 'Stream reset by peer');


--
-- Data for Name: mix_channel; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: mix_pam; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: mix_participant; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: mix_subscription; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: motd; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: mqtt_pub; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: muc_online_room; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: muc_online_users; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: muc_registered; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: muc_room; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: muc_room_subscribers; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: oauth_client; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: oauth_token; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: privacy_default_list; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.privacy_default_list VALUES ('alice', 'Blocked contacts');
INSERT INTO public.privacy_default_list VALUES ('carol', 'quiet');


--
-- Data for Name: privacy_list; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.privacy_list VALUES ('alice', 'Blocked contacts', 1, '2026-12-05 02:16:24.177405');
INSERT INTO public.privacy_list VALUES ('alice', 'work', 2, '2026-12-05 02:16:24.631379');
INSERT INTO public.privacy_list VALUES ('alice', 'invisible', 3, '2026-12-05 02:16:27.189676');
INSERT INTO public.privacy_list VALUES ('carol', 'quiet', 4, '2026-12-05 02:16:27.334941');


--
-- Data for Name: privacy_list_data; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.privacy_list_data VALUES (2, 'j', 'frank@new.localhost', 'd', 1, false, false, true, true, false);
INSERT INTO public.privacy_list_data VALUES (2, 'g', 'Work', 'a', 2, true, false, false, false, false);
INSERT INTO public.privacy_list_data VALUES (2, 's', 'none', 'd', 3, false, true, false, false, false);
INSERT INTO public.privacy_list_data VALUES (2, 'n', '', 'a', 4, true, false, false, false, false);
INSERT INTO public.privacy_list_data VALUES (1, 'j', 'spam@spam.example', 'd', 0, true, false, false, false, false);
INSERT INTO public.privacy_list_data VALUES (1, 'j', 'troll@new.localhost', 'd', 0, true, false, false, false, false);
INSERT INTO public.privacy_list_data VALUES (3, 'n', '', 'd', 1, false, false, false, false, true);
INSERT INTO public.privacy_list_data VALUES (4, 'j', 'spam.example', 'd', 1, true, false, false, false, false);
INSERT INTO public.privacy_list_data VALUES (4, 'n', '', 'a', 2, true, false, false, false, false);


--
-- Data for Name: private_storage; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.private_storage VALUES ('alice', 'storage:rosternotes', '<storage xmlns=''storage:rosternotes''><note mdate=''2024-02-03T04:05:06Z'' jid=''bob@new.localhost'' cdate=''2024-01-02T03:04:05Z''>Met at the conference</note></storage>', '2026-12-05 02:16:24.071537');
INSERT INTO public.private_storage VALUES ('alice', 'exodus:prefs', '<exodus xmlns=''exodus:prefs''><defaultnick>Ally</defaultnick></exodus>', '2026-12-05 02:16:24.12655');
INSERT INTO public.private_storage VALUES ('paula', 'exodus:prefs', '<exodus xmlns=''exodus:prefs''><defaultnick>Paula</defaultnick></exodus>', '2026-12-05 02:16:28.185543');


--
-- Data for Name: proxy65; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: pubsub_node; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.pubsub_node VALUES ('alice@new.localhost', 'urn:xmpp:avatar:data', '', 'pep', 1);
INSERT INTO public.pubsub_node VALUES ('alice@new.localhost', 'urn:xmpp:avatar:metadata', '', 'pep', 2);
INSERT INTO public.pubsub_node VALUES ('alice@new.localhost', 'http://jabber.org/protocol/nick', '', 'pep', 3);
INSERT INTO public.pubsub_node VALUES ('alice@new.localhost', 'urn:xmpp:vcard4', '', 'pep', 4);
INSERT INTO public.pubsub_node VALUES ('alice@new.localhost', 'urn:xmpp:omemo:2:devices', '', 'pep', 5);
INSERT INTO public.pubsub_node VALUES ('alice@new.localhost', 'urn:xmpp:moved:1', '', 'pep', 6);
INSERT INTO public.pubsub_node VALUES ('alice@new.localhost', 'urn:xmpp:bookmarks:1', '', 'pep', 7);
INSERT INTO public.pubsub_node VALUES ('paula@new2.localhost', 'urn:xmpp:avatar:metadata', '', 'pep', 8);


--
-- Data for Name: pubsub_item; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.pubsub_item VALUES (1, 'c7a9c45fd419815a5ab1998503a9f03514c0e229', 'alice@new.localhost/fill', '001796:436981:026742', '001796:436982:288286', '<data xmlns=''urn:xmpp:avatar:data''>iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==</data>');
INSERT INTO public.pubsub_item VALUES (2, 'c7a9c45fd419815a5ab1998503a9f03514c0e229', 'alice@new.localhost/fill', '001796:436981:808529', '001796:436982:472612', '<metadata xmlns=''urn:xmpp:avatar:metadata''><info height=''1'' id=''c7a9c45fd419815a5ab1998503a9f03514c0e229'' bytes=''70'' type=''image/png'' width=''1''/></metadata>');
INSERT INTO public.pubsub_item VALUES (3, 'current', 'alice@new.localhost/fill', '001796:436983:052347', '001796:436983:052347', '<nick xmlns=''http://jabber.org/protocol/nick''>Ally</nick>');
INSERT INTO public.pubsub_item VALUES (4, 'current', 'alice@new.localhost/fill', '001796:436983:246187', '001796:436983:246187', '<vcard xmlns=''urn:ietf:params:xml:ns:vcard-4.0''><fn><text>Alice Liddell</text></fn><n><surname>Liddell</surname><given>Alice</given></n><nickname><text>Ally</text></nickname><email><text>alice@example.org</text></email><note><text>filled by xp_populate</text></note></vcard>');
INSERT INTO public.pubsub_item VALUES (5, 'current', 'alice@new.localhost/fill', '001796:436983:524410', '001796:436983:524410', '<devices xmlns=''urn:xmpp:omemo:2''><device label=''Phone'' id=''31415''/><device id=''27182''/></devices>');
INSERT INTO public.pubsub_item VALUES (6, 'current', 'alice@new.localhost/fill', '001796:436983:928148', '001796:436983:928148', '<moved xmlns=''urn:xmpp:moved:1''><new-jid>alice@elsewhere.example</new-jid></moved>');
INSERT INTO public.pubsub_item VALUES (7, 'room1@conference.new.localhost', 'alice@new.localhost/fill', '001796:436984:603642', '001796:436984:603642', '<conference xmlns=''urn:xmpp:bookmarks:1'' autojoin=''true'' name=''Room 1''><nick>Ally</nick></conference>');
INSERT INTO public.pubsub_item VALUES (7, 'room2@conference.new.localhost', 'alice@new.localhost/fill', '001796:436984:618209', '001796:436984:618209', '<conference xmlns=''urn:xmpp:bookmarks:1'' autojoin=''true'' name=''Room 2''><nick>Ally</nick></conference>');
INSERT INTO public.pubsub_item VALUES (8, '7046AAFC4D7F9', 'paula@new2.localhost/fill2', '001796:436988:800628', '001796:436988:800628', '<metadata xmlns=''urn:xmpp:avatar:metadata''/>');


--
-- Data for Name: pubsub_node_option; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.pubsub_node_option VALUES (1, 'access_model', 'presence');
INSERT INTO public.pubsub_node_option VALUES (1, 'deliver_notifications', 'true');
INSERT INTO public.pubsub_node_option VALUES (1, 'deliver_payloads', 'true');
INSERT INTO public.pubsub_node_option VALUES (1, 'itemreply', 'none');
INSERT INTO public.pubsub_node_option VALUES (1, 'max_items', '1');
INSERT INTO public.pubsub_node_option VALUES (1, 'max_payload_size', '250000');
INSERT INTO public.pubsub_node_option VALUES (1, 'notification_type', 'headline');
INSERT INTO public.pubsub_node_option VALUES (1, 'notify_config', 'false');
INSERT INTO public.pubsub_node_option VALUES (1, 'notify_delete', 'false');
INSERT INTO public.pubsub_node_option VALUES (1, 'notify_retract', 'false');
INSERT INTO public.pubsub_node_option VALUES (1, 'persist_items', 'true');
INSERT INTO public.pubsub_node_option VALUES (1, 'presence_based_delivery', 'true');
INSERT INTO public.pubsub_node_option VALUES (1, 'publish_model', 'publishers');
INSERT INTO public.pubsub_node_option VALUES (1, 'purge_offline', 'false');
INSERT INTO public.pubsub_node_option VALUES (1, 'roster_groups_allowed', '[]');
INSERT INTO public.pubsub_node_option VALUES (1, 'rsm', 'true');
INSERT INTO public.pubsub_node_option VALUES (1, 'send_last_published_item', 'on_sub_and_presence');
INSERT INTO public.pubsub_node_option VALUES (1, 'sql', 'true');
INSERT INTO public.pubsub_node_option VALUES (1, 'subscribe', 'true');
INSERT INTO public.pubsub_node_option VALUES (2, 'access_model', 'presence');
INSERT INTO public.pubsub_node_option VALUES (2, 'deliver_notifications', 'true');
INSERT INTO public.pubsub_node_option VALUES (2, 'deliver_payloads', 'true');
INSERT INTO public.pubsub_node_option VALUES (2, 'itemreply', 'none');
INSERT INTO public.pubsub_node_option VALUES (2, 'max_items', '1');
INSERT INTO public.pubsub_node_option VALUES (2, 'max_payload_size', '250000');
INSERT INTO public.pubsub_node_option VALUES (2, 'notification_type', 'headline');
INSERT INTO public.pubsub_node_option VALUES (2, 'notify_config', 'false');
INSERT INTO public.pubsub_node_option VALUES (2, 'notify_delete', 'false');
INSERT INTO public.pubsub_node_option VALUES (2, 'notify_retract', 'false');
INSERT INTO public.pubsub_node_option VALUES (2, 'persist_items', 'true');
INSERT INTO public.pubsub_node_option VALUES (2, 'presence_based_delivery', 'true');
INSERT INTO public.pubsub_node_option VALUES (2, 'publish_model', 'publishers');
INSERT INTO public.pubsub_node_option VALUES (2, 'purge_offline', 'false');
INSERT INTO public.pubsub_node_option VALUES (2, 'roster_groups_allowed', '[]');
INSERT INTO public.pubsub_node_option VALUES (2, 'rsm', 'true');
INSERT INTO public.pubsub_node_option VALUES (2, 'send_last_published_item', 'on_sub_and_presence');
INSERT INTO public.pubsub_node_option VALUES (2, 'sql', 'true');
INSERT INTO public.pubsub_node_option VALUES (2, 'subscribe', 'true');
INSERT INTO public.pubsub_node_option VALUES (3, 'access_model', 'presence');
INSERT INTO public.pubsub_node_option VALUES (3, 'deliver_notifications', 'true');
INSERT INTO public.pubsub_node_option VALUES (3, 'deliver_payloads', 'true');
INSERT INTO public.pubsub_node_option VALUES (3, 'itemreply', 'none');
INSERT INTO public.pubsub_node_option VALUES (3, 'max_items', '1');
INSERT INTO public.pubsub_node_option VALUES (3, 'max_payload_size', '250000');
INSERT INTO public.pubsub_node_option VALUES (3, 'notification_type', 'headline');
INSERT INTO public.pubsub_node_option VALUES (3, 'notify_config', 'false');
INSERT INTO public.pubsub_node_option VALUES (3, 'notify_delete', 'false');
INSERT INTO public.pubsub_node_option VALUES (3, 'notify_retract', 'false');
INSERT INTO public.pubsub_node_option VALUES (3, 'persist_items', 'true');
INSERT INTO public.pubsub_node_option VALUES (3, 'presence_based_delivery', 'true');
INSERT INTO public.pubsub_node_option VALUES (3, 'publish_model', 'publishers');
INSERT INTO public.pubsub_node_option VALUES (3, 'purge_offline', 'false');
INSERT INTO public.pubsub_node_option VALUES (3, 'roster_groups_allowed', '[]');
INSERT INTO public.pubsub_node_option VALUES (3, 'rsm', 'true');
INSERT INTO public.pubsub_node_option VALUES (3, 'send_last_published_item', 'on_sub_and_presence');
INSERT INTO public.pubsub_node_option VALUES (3, 'sql', 'true');
INSERT INTO public.pubsub_node_option VALUES (3, 'subscribe', 'true');
INSERT INTO public.pubsub_node_option VALUES (4, 'access_model', 'presence');
INSERT INTO public.pubsub_node_option VALUES (4, 'deliver_notifications', 'true');
INSERT INTO public.pubsub_node_option VALUES (4, 'deliver_payloads', 'true');
INSERT INTO public.pubsub_node_option VALUES (4, 'itemreply', 'none');
INSERT INTO public.pubsub_node_option VALUES (4, 'max_items', '1');
INSERT INTO public.pubsub_node_option VALUES (4, 'max_payload_size', '250000');
INSERT INTO public.pubsub_node_option VALUES (4, 'notification_type', 'headline');
INSERT INTO public.pubsub_node_option VALUES (4, 'notify_config', 'false');
INSERT INTO public.pubsub_node_option VALUES (4, 'notify_delete', 'false');
INSERT INTO public.pubsub_node_option VALUES (4, 'notify_retract', 'false');
INSERT INTO public.pubsub_node_option VALUES (4, 'persist_items', 'true');
INSERT INTO public.pubsub_node_option VALUES (4, 'presence_based_delivery', 'true');
INSERT INTO public.pubsub_node_option VALUES (4, 'publish_model', 'publishers');
INSERT INTO public.pubsub_node_option VALUES (4, 'purge_offline', 'false');
INSERT INTO public.pubsub_node_option VALUES (4, 'roster_groups_allowed', '[]');
INSERT INTO public.pubsub_node_option VALUES (4, 'rsm', 'true');
INSERT INTO public.pubsub_node_option VALUES (4, 'send_last_published_item', 'on_sub_and_presence');
INSERT INTO public.pubsub_node_option VALUES (4, 'sql', 'true');
INSERT INTO public.pubsub_node_option VALUES (4, 'subscribe', 'true');
INSERT INTO public.pubsub_node_option VALUES (5, 'access_model', 'open');
INSERT INTO public.pubsub_node_option VALUES (5, 'deliver_notifications', 'true');
INSERT INTO public.pubsub_node_option VALUES (5, 'deliver_payloads', 'true');
INSERT INTO public.pubsub_node_option VALUES (5, 'itemreply', 'none');
INSERT INTO public.pubsub_node_option VALUES (5, 'max_items', '1');
INSERT INTO public.pubsub_node_option VALUES (5, 'max_payload_size', '250000');
INSERT INTO public.pubsub_node_option VALUES (5, 'notification_type', 'headline');
INSERT INTO public.pubsub_node_option VALUES (5, 'notify_config', 'false');
INSERT INTO public.pubsub_node_option VALUES (5, 'notify_delete', 'false');
INSERT INTO public.pubsub_node_option VALUES (5, 'notify_retract', 'false');
INSERT INTO public.pubsub_node_option VALUES (5, 'persist_items', 'true');
INSERT INTO public.pubsub_node_option VALUES (5, 'presence_based_delivery', 'true');
INSERT INTO public.pubsub_node_option VALUES (5, 'publish_model', 'publishers');
INSERT INTO public.pubsub_node_option VALUES (5, 'purge_offline', 'false');
INSERT INTO public.pubsub_node_option VALUES (5, 'roster_groups_allowed', '[]');
INSERT INTO public.pubsub_node_option VALUES (5, 'rsm', 'true');
INSERT INTO public.pubsub_node_option VALUES (5, 'send_last_published_item', 'on_sub_and_presence');
INSERT INTO public.pubsub_node_option VALUES (5, 'sql', 'true');
INSERT INTO public.pubsub_node_option VALUES (5, 'subscribe', 'true');
INSERT INTO public.pubsub_node_option VALUES (6, 'access_model', 'open');
INSERT INTO public.pubsub_node_option VALUES (6, 'deliver_notifications', 'true');
INSERT INTO public.pubsub_node_option VALUES (6, 'deliver_payloads', 'true');
INSERT INTO public.pubsub_node_option VALUES (6, 'itemreply', 'none');
INSERT INTO public.pubsub_node_option VALUES (6, 'max_items', '1');
INSERT INTO public.pubsub_node_option VALUES (6, 'max_payload_size', '250000');
INSERT INTO public.pubsub_node_option VALUES (6, 'notification_type', 'headline');
INSERT INTO public.pubsub_node_option VALUES (6, 'notify_config', 'false');
INSERT INTO public.pubsub_node_option VALUES (6, 'notify_delete', 'false');
INSERT INTO public.pubsub_node_option VALUES (6, 'notify_retract', 'false');
INSERT INTO public.pubsub_node_option VALUES (6, 'persist_items', 'true');
INSERT INTO public.pubsub_node_option VALUES (6, 'presence_based_delivery', 'true');
INSERT INTO public.pubsub_node_option VALUES (6, 'publish_model', 'publishers');
INSERT INTO public.pubsub_node_option VALUES (6, 'purge_offline', 'false');
INSERT INTO public.pubsub_node_option VALUES (6, 'roster_groups_allowed', '[]');
INSERT INTO public.pubsub_node_option VALUES (6, 'rsm', 'true');
INSERT INTO public.pubsub_node_option VALUES (6, 'send_last_published_item', 'on_sub_and_presence');
INSERT INTO public.pubsub_node_option VALUES (6, 'sql', 'true');
INSERT INTO public.pubsub_node_option VALUES (6, 'subscribe', 'true');
INSERT INTO public.pubsub_node_option VALUES (7, 'access_model', 'whitelist');
INSERT INTO public.pubsub_node_option VALUES (7, 'deliver_notifications', 'true');
INSERT INTO public.pubsub_node_option VALUES (7, 'deliver_payloads', 'true');
INSERT INTO public.pubsub_node_option VALUES (7, 'itemreply', 'none');
INSERT INTO public.pubsub_node_option VALUES (7, 'max_items', 'max');
INSERT INTO public.pubsub_node_option VALUES (7, 'max_payload_size', '250000');
INSERT INTO public.pubsub_node_option VALUES (7, 'notification_type', 'headline');
INSERT INTO public.pubsub_node_option VALUES (7, 'notify_config', 'false');
INSERT INTO public.pubsub_node_option VALUES (7, 'notify_delete', 'false');
INSERT INTO public.pubsub_node_option VALUES (7, 'notify_retract', 'false');
INSERT INTO public.pubsub_node_option VALUES (7, 'persist_items', 'true');
INSERT INTO public.pubsub_node_option VALUES (7, 'presence_based_delivery', 'true');
INSERT INTO public.pubsub_node_option VALUES (7, 'publish_model', 'publishers');
INSERT INTO public.pubsub_node_option VALUES (7, 'purge_offline', 'false');
INSERT INTO public.pubsub_node_option VALUES (7, 'roster_groups_allowed', '[]');
INSERT INTO public.pubsub_node_option VALUES (7, 'rsm', 'true');
INSERT INTO public.pubsub_node_option VALUES (7, 'send_last_published_item', 'never');
INSERT INTO public.pubsub_node_option VALUES (7, 'sql', 'true');
INSERT INTO public.pubsub_node_option VALUES (7, 'subscribe', 'true');
INSERT INTO public.pubsub_node_option VALUES (8, 'access_model', 'presence');
INSERT INTO public.pubsub_node_option VALUES (8, 'deliver_notifications', 'true');
INSERT INTO public.pubsub_node_option VALUES (8, 'deliver_payloads', 'true');
INSERT INTO public.pubsub_node_option VALUES (8, 'itemreply', 'none');
INSERT INTO public.pubsub_node_option VALUES (8, 'max_items', '1');
INSERT INTO public.pubsub_node_option VALUES (8, 'max_payload_size', '250000');
INSERT INTO public.pubsub_node_option VALUES (8, 'notification_type', 'headline');
INSERT INTO public.pubsub_node_option VALUES (8, 'notify_config', 'false');
INSERT INTO public.pubsub_node_option VALUES (8, 'notify_delete', 'false');
INSERT INTO public.pubsub_node_option VALUES (8, 'notify_retract', 'false');
INSERT INTO public.pubsub_node_option VALUES (8, 'persist_items', 'true');
INSERT INTO public.pubsub_node_option VALUES (8, 'presence_based_delivery', 'true');
INSERT INTO public.pubsub_node_option VALUES (8, 'publish_model', 'publishers');
INSERT INTO public.pubsub_node_option VALUES (8, 'purge_offline', 'false');
INSERT INTO public.pubsub_node_option VALUES (8, 'roster_groups_allowed', '[]');
INSERT INTO public.pubsub_node_option VALUES (8, 'rsm', 'true');
INSERT INTO public.pubsub_node_option VALUES (8, 'send_last_published_item', 'on_sub_and_presence');
INSERT INTO public.pubsub_node_option VALUES (8, 'sql', 'true');
INSERT INTO public.pubsub_node_option VALUES (8, 'subscribe', 'true');


--
-- Data for Name: pubsub_node_owner; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: pubsub_state; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.pubsub_state VALUES (1, 'alice@new.localhost', 'o', '', 1);
INSERT INTO public.pubsub_state VALUES (2, 'alice@new.localhost', 'o', '', 2);
INSERT INTO public.pubsub_state VALUES (3, 'alice@new.localhost', 'o', '', 3);
INSERT INTO public.pubsub_state VALUES (4, 'alice@new.localhost', 'o', '', 4);
INSERT INTO public.pubsub_state VALUES (5, 'alice@new.localhost', 'o', '', 5);
INSERT INTO public.pubsub_state VALUES (6, 'alice@new.localhost', 'o', '', 6);
INSERT INTO public.pubsub_state VALUES (7, 'alice@new.localhost', 'o', '', 7);
INSERT INTO public.pubsub_state VALUES (8, 'paula@new2.localhost', 'o', '', 8);


--
-- Data for Name: pubsub_subscription_opt; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: push_session; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: roster_version; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: rostergroups; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.rostergroups VALUES ('alice', 'bob@new.localhost', 'Friends');
INSERT INTO public.rostergroups VALUES ('alice', 'bob@new.localhost', 'Work');
INSERT INTO public.rostergroups VALUES ('alice', 'carol@new.localhost', 'Work');
INSERT INTO public.rostergroups VALUES ('alice', 'dave@new.localhost', 'Family');
INSERT INTO public.rostergroups VALUES ('alice', 'erin@new.localhost', 'Friends');
INSERT INTO public.rostergroups VALUES ('alice', 'erin@new.localhost', 'Old');
INSERT INTO public.rostergroups VALUES ('paula', 'alice@new.localhost', 'Old friends');


--
-- Data for Name: rosterusers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.rosterusers VALUES ('alice', 'erin@new.localhost', 'Erin E', 'N', 'N', '', 'N', '', 'item', '2026-12-05 02:16:17.761631');
INSERT INTO public.rosterusers VALUES ('alice', 'bob@new.localhost', 'Bob Example', 'B', 'N', '', 'N', '', 'item', '2026-12-05 02:16:16.907321');
INSERT INTO public.rosterusers VALUES ('bob', 'alice@new.localhost', '', 'B', 'N', '', 'N', '', 'item', '2026-12-05 02:16:18.318765');
INSERT INTO public.rosterusers VALUES ('carol', 'alice@new.localhost', '', 'F', 'N', '', 'N', '', 'item', '2026-12-05 02:16:19.257402');
INSERT INTO public.rosterusers VALUES ('alice', 'carol@new.localhost', 'Carol C', 'T', 'N', '', 'N', '', 'item', '2026-12-05 02:16:17.199839');
INSERT INTO public.rosterusers VALUES ('alice', 'dave@new.localhost', 'Dave D', 'F', 'N', '', 'N', '', 'item', '2026-12-05 02:16:17.4805');
INSERT INTO public.rosterusers VALUES ('dave', 'alice@new.localhost', '', 'T', 'N', '', 'N', '', 'item', '2026-12-05 02:16:19.385072');
INSERT INTO public.rosterusers VALUES ('alice', 'frank@new.localhost', 'Frank F', 'N', 'O', '', 'N', '', 'item', '2026-12-05 02:16:18.04145');
INSERT INTO public.rosterusers VALUES ('frank', 'alice@new.localhost', '', 'N', 'I', '', 'N', '', 'item', '2026-12-05 02:16:24.732585');
INSERT INTO public.rosterusers VALUES ('grace', 'alice@new.localhost', '', 'N', 'O', '', 'N', '', 'item', '2026-12-05 02:16:25.606587');
INSERT INTO public.rosterusers VALUES ('alice', 'grace@new.localhost', '', 'N', 'I', 'Hi Alice, it is Grace', 'N', '', 'item', '2026-12-05 02:16:25.612371');
INSERT INTO public.rosterusers VALUES ('paula', 'alice@new.localhost', 'Alice', 'N', 'N', '', 'N', '', 'item', '2026-12-05 02:16:27.920762');


--
-- Data for Name: route; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: sm; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: spool; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.spool VALUES ('alice', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''offline-1'' xmlns=''jabber:client''><archived by=''alice@new.localhost'' id=''1796436985615729'' xmlns=''urn:xmpp:mam:tmp''/><stanza-id by=''alice@new.localhost'' id=''1796436985615729'' xmlns=''urn:xmpp:sid:0''/><delay from=''new.localhost'' stamp=''2026-12-05T02:16:25.664371Z'' xmlns=''urn:xmpp:delay''>Offline Storage</delay><body>while you were away</body></message>', 1, '2026-12-05 02:16:25.751986');
INSERT INTO public.spool VALUES ('alice', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''paula@new2.localhost/fill2'' type=''chat'' id=''vhost2-1'' xmlns=''jabber:client''><archived by=''alice@new.localhost'' id=''1796436989197039'' xmlns=''urn:xmpp:mam:tmp''/><stanza-id by=''alice@new.localhost'' id=''1796436989197039'' xmlns=''urn:xmpp:sid:0''/><delay from=''new.localhost'' stamp=''2026-12-05T02:16:29.197670Z'' xmlns=''urn:xmpp:delay''>Offline Storage</delay><body>hello from the second vhost</body></message>', 2, '2026-12-05 02:16:29.239709');


--
-- Data for Name: sr_group; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: sr_user; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES ('alice', 'ID5Da+XT4j7mb2Bleabbt2Si6Mc=', '+QUnYIo40tmFp2ETceEnSiNjVUA=', 'o6ckcmXyQilAUoNaPIxiAg==', 4096, '2026-12-05 02:16:12.156021');
INSERT INTO public.users VALUES ('bob', '/yVjDCPHqElY8KC9v32cdq/hIyI=', '+ZSddfTGrguyxxp/Bp6t1ffOOVM=', 'VIx+FSxHobwRFnnUYSAlMA==', 4096, '2026-12-05 02:16:12.628364');
INSERT INTO public.users VALUES ('carol', '3CwbXztaK5ftApNGXJTcnj72k8U=', 'n0GRwDy7lBKhBDifibTKzzkaREc=', 'b52yZ7510w3/AEgd0NUX5w==', 4096, '2026-12-05 02:16:13.152858');
INSERT INTO public.users VALUES ('dave', 'y2U0923CUwjFcjMAVUQCHb+TQA0=', 'vOLe0zGDETpDptVaWjWlZNaxrnk=', 'c1mECe+TEEiGGVZJEpWxNA==', 4096, '2026-12-05 02:16:13.579984');
INSERT INTO public.users VALUES ('erin', 'qZeU3i3s9GgsxCc1ZZI8iGn24S8=', 'SVBkE6Mo7IencLy4QNgicuVQs8c=', 'k0yEjCApEjqJBtrid20ftg==', 4096, '2026-12-05 02:16:14.080176');
INSERT INTO public.users VALUES ('frank', 'fDBlCqsjKbPUWE2mq4pfeqpjUtE=', '1YpIZS9YePJPs5LzzQLZhgBPSE8=', 'wUJy4jGucy8N5dnKPmc85A==', 4096, '2026-12-05 02:16:14.605045');
INSERT INTO public.users VALUES ('grace', 'GIpKmUkot0f8rG0VM6nkPqERSX0=', 'WNLqH70SH9mDwBQU6PVyuJ/685c=', '1xxqCz+0/c3oYABjDM2zAA==', 4096, '2026-12-05 02:16:14.95535');
INSERT INTO public.users VALUES ('troll', 'pAlJqr71ePCSezsn9rstyxaw/UU=', 'v7k2Uyyxzi+z4UDmgqrhb8rTVwY=', '9t+706pGM0xtxRvSdLGPJQ==', 4096, '2026-12-05 02:16:15.378092');
INSERT INTO public.users VALUES ('paula', '09YmmvlS+qOUwEWMIJov4lul5qQ=', 'YFV7c9rMKD/pXXbut8CZJxGGBkE=', 'pJ/Sm9Eds7Q5SerR4hxtPQ==', 4096, '2026-12-05 02:16:15.84826');


--
-- Data for Name: vcard; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.vcard VALUES ('alice', '<vCard xmlns=''vcard-temp''><PHOTO><BINVAL>iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==</BINVAL><TYPE>image/png</TYPE></PHOTO><N><GIVEN>Alice</GIVEN><FAMILY>Liddell</FAMILY></N><FN>Alice Liddell</FN><EMAIL><INTERNET/><USERID>alice@example.org</USERID></EMAIL><NICKNAME>Ally</NICKNAME></vCard>', '2026-12-05 02:16:20.369027');
INSERT INTO public.vcard VALUES ('paula', '<vCard xmlns=''vcard-temp''><FN>Paula P</FN><NICKNAME>Paula</NICKNAME></vCard>', '2026-12-05 02:16:28.229852');


--
-- Data for Name: vcard_search; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.vcard_search VALUES ('alice', 'alice', 'Alice Liddell', 'alice liddell', 'Liddell', 'liddell', 'Alice', 'alice', '', '', 'Ally', 'ally', '', '', '', '', '', '', 'alice@example.org', 'alice@example.org', '', '', '', '');
INSERT INTO public.vcard_search VALUES ('paula', 'paula', 'Paula P', 'paula p', '', '', '', '', '', '', 'Paula', 'paula', '', '', '', '', '', '', '', '', '', '', '', '');


--
-- Name: archive_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.archive_id_seq', 44, true);


--
-- Name: privacy_list_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.privacy_list_id_seq', 4, true);


--
-- Name: pubsub_node_nodeid_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.pubsub_node_nodeid_seq', 8, true);


--
-- Name: pubsub_state_stateid_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.pubsub_state_stateid_seq', 8, true);


--
-- Name: spool_seq_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.spool_seq_seq', 2, true);


--
-- PostgreSQL database dump complete
--

\unrestrict MTOr5yq0KoxXesBPS1ruD882dbtgF5j6WTD9bd6pmyYxZrgjGI417eNthGtLTZq

