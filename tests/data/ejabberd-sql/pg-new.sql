--
-- PostgreSQL database dump
--

\restrict vvzItw72ITVvyLBR93zF6HOxnnQQauB0O8tkbXGTj2fMYoP3ANk2CIV2ehohYiQ

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

INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009103983, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-1'' xmlns=''jabber:client''><body>alice to bob 1</body></message>', 'alice to bob 1', 1, 'chat', '', '2026-12-05 02:16:49.199982');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009206944, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-1'' xmlns=''jabber:client''><body>alice to bob 1</body></message>', 'alice to bob 1', 2, 'chat', '', '2026-12-05 02:16:49.300331');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009311518, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-1'' xmlns=''jabber:client''><body>bob to alice 1</body></message>', 'bob to alice 1', 3, 'chat', '', '2026-12-05 02:16:49.359889');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009361728, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-1'' xmlns=''jabber:client''><body>bob to alice 1</body></message>', 'bob to alice 1', 4, 'chat', '', '2026-12-05 02:16:49.408203');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009419976, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-2'' xmlns=''jabber:client''><body>alice to bob 2</body></message>', 'alice to bob 2', 5, 'chat', '', '2026-12-05 02:16:49.46431');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009466551, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-2'' xmlns=''jabber:client''><body>alice to bob 2</body></message>', 'alice to bob 2', 6, 'chat', '', '2026-12-05 02:16:49.509144');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009521284, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-2'' xmlns=''jabber:client''><body>bob to alice 2</body></message>', 'bob to alice 2', 7, 'chat', '', '2026-12-05 02:16:49.564512');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009565893, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-2'' xmlns=''jabber:client''><body>bob to alice 2</body></message>', 'bob to alice 2', 8, 'chat', '', '2026-12-05 02:16:49.612251');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009622737, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-3'' xmlns=''jabber:client''><body>alice to bob 3</body></message>', 'alice to bob 3', 9, 'chat', '', '2026-12-05 02:16:49.679407');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009683812, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-3'' xmlns=''jabber:client''><body>alice to bob 3</body></message>', 'alice to bob 3', 10, 'chat', '', '2026-12-05 02:16:49.684264');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009692442, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-3'' xmlns=''jabber:client''><body>bob to alice 3</body></message>', 'bob to alice 3', 11, 'chat', '', '2026-12-05 02:16:49.736209');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009737583, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-3'' xmlns=''jabber:client''><body>bob to alice 3</body></message>', 'bob to alice 3', 12, 'chat', '', '2026-12-05 02:16:49.738046');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009748123, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-4'' xmlns=''jabber:client''><body>alice to bob 4</body></message>', 'alice to bob 4', 13, 'chat', '', '2026-12-05 02:16:49.748598');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009750280, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-4'' xmlns=''jabber:client''><body>alice to bob 4</body></message>', 'alice to bob 4', 14, 'chat', '', '2026-12-05 02:16:49.750699');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009767187, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-4'' xmlns=''jabber:client''><body>bob to alice 4</body></message>', 'bob to alice 4', 15, 'chat', '', '2026-12-05 02:16:49.767692');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009768675, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-4'' xmlns=''jabber:client''><body>bob to alice 4</body></message>', 'bob to alice 4', 16, 'chat', '', '2026-12-05 02:16:49.769099');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009781992, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-5'' xmlns=''jabber:client''><body>alice to bob 5</body></message>', 'alice to bob 5', 17, 'chat', '', '2026-12-05 02:16:49.782455');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009783415, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-5'' xmlns=''jabber:client''><body>alice to bob 5</body></message>', 'alice to bob 5', 18, 'chat', '', '2026-12-05 02:16:49.783833');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009792368, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-5'' xmlns=''jabber:client''><body>bob to alice 5</body></message>', 'bob to alice 5', 19, 'chat', '', '2026-12-05 02:16:49.792826');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009794443, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-5'' xmlns=''jabber:client''><body>bob to alice 5</body></message>', 'bob to alice 5', 20, 'chat', '', '2026-12-05 02:16:49.794858');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009807239, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-6'' xmlns=''jabber:client''><body>alice to bob 6</body></message>', 'alice to bob 6', 21, 'chat', '', '2026-12-05 02:16:49.807762');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009809742, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-6'' xmlns=''jabber:client''><body>alice to bob 6</body></message>', 'alice to bob 6', 22, 'chat', '', '2026-12-05 02:16:49.810144');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009826247, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-6'' xmlns=''jabber:client''><body>bob to alice 6</body></message>', 'bob to alice 6', 23, 'chat', '', '2026-12-05 02:16:49.826437');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009827520, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-6'' xmlns=''jabber:client''><body>bob to alice 6</body></message>', 'bob to alice 6', 24, 'chat', '', '2026-12-05 02:16:49.827973');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009841164, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-7'' xmlns=''jabber:client''><body>alice to bob 7</body></message>', 'alice to bob 7', 25, 'chat', '', '2026-12-05 02:16:49.841653');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009842747, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-7'' xmlns=''jabber:client''><body>alice to bob 7</body></message>', 'alice to bob 7', 26, 'chat', '', '2026-12-05 02:16:49.842894');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009852182, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-7'' xmlns=''jabber:client''><body>bob to alice 7</body></message>', 'bob to alice 7', 27, 'chat', '', '2026-12-05 02:16:49.852652');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009936792, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-10'' xmlns=''jabber:client''><body>alice to bob 10</body></message>', 'alice to bob 10', 37, 'chat', '', '2026-12-05 02:16:49.937274');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009853941, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-7'' xmlns=''jabber:client''><body>bob to alice 7</body></message>', 'bob to alice 7', 28, 'chat', '', '2026-12-05 02:16:49.854399');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009964597, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-10'' xmlns=''jabber:client''><body>alice to bob 10</body></message>', 'alice to bob 10', 38, 'chat', '', '2026-12-05 02:16:49.971005');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009867091, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-8'' xmlns=''jabber:client''><body>alice to bob 8</body></message>', 'alice to bob 8', 29, 'chat', '', '2026-12-05 02:16:49.86762');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009990175, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-10'' xmlns=''jabber:client''><body>bob to alice 10</body></message>', 'bob to alice 10', 39, 'chat', '', '2026-12-05 02:16:49.996009');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009868725, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-8'' xmlns=''jabber:client''><body>alice to bob 8</body></message>', 'alice to bob 8', 30, 'chat', '', '2026-12-05 02:16:49.869131');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009997937, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-10'' xmlns=''jabber:client''><body>bob to alice 10</body></message>', 'bob to alice 10', 40, 'chat', '', '2026-12-05 02:16:49.998086');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009877633, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-8'' xmlns=''jabber:client''><body>bob to alice 8</body></message>', 'bob to alice 8', 31, 'chat', '', '2026-12-05 02:16:49.878077');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009879102, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-8'' xmlns=''jabber:client''><body>bob to alice 8</body></message>', 'bob to alice 8', 32, 'chat', '', '2026-12-05 02:16:49.879488');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009893123, 'bob@new.localhost', 'bob@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-9'' xmlns=''jabber:client''><body>alice to bob 9</body></message>', 'alice to bob 9', 33, 'chat', '', '2026-12-05 02:16:49.893571');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009905463, 'alice@new.localhost/fill', 'alice@new.localhost', '<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-9'' xmlns=''jabber:client''><body>alice to bob 9</body></message>', 'alice to bob 9', 34, 'chat', '', '2026-12-05 02:16:49.905667');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437015568684, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''offline-1'' xmlns=''jabber:client''><body>while you were away</body></message>', 'while you were away', 41, 'chat', '', '2026-12-05 02:16:55.568784');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437019333617, 'paula@new2.localhost/fill2', 'paula@new2.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''paula@new2.localhost/fill2'' type=''chat'' id=''vhost2-1'' xmlns=''jabber:client''><body>hello from the second vhost</body></message>', 'hello from the second vhost', 44, 'chat', '', '2026-12-05 02:16:59.334058');
INSERT INTO public.archive VALUES ('bob', 'new.localhost', 1796437009919658, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-9'' xmlns=''jabber:client''><body>bob to alice 9</body></message>', 'bob to alice 9', 35, 'chat', '', '2026-12-05 02:16:49.923607');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437009926353, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-9'' xmlns=''jabber:client''><body>bob to alice 9</body></message>', 'bob to alice 9', 36, 'chat', '', '2026-12-05 02:16:49.926516');
INSERT INTO public.archive VALUES ('alice', 'new.localhost', 1796437015569471, 'bob@new.localhost/fill', 'bob@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''offline-1'' xmlns=''jabber:client''><body>while you were away</body></message>', 'while you were away', 42, 'chat', '', '2026-12-05 02:16:55.614088');
INSERT INTO public.archive VALUES ('paula', 'new2.localhost', 1796437019241574, 'alice@new.localhost', 'alice@new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''paula@new2.localhost/fill2'' type=''chat'' id=''vhost2-1'' xmlns=''jabber:client''><body>hello from the second vhost</body></message>', 'hello from the second vhost', 43, 'chat', '', '2026-12-05 02:16:59.332153');


--
-- Data for Name: archive_prefs; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.archive_prefs VALUES ('alice', 'new.localhost', 'always', '[{<<"bob">>,<<"new.localhost">>,<<>>}]', '[{<<"erin">>,<<"new.localhost">>,<<>>}]', '2026-12-05 02:16:54.408194');


--
-- Data for Name: bosh; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: caps_features; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: last; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.last VALUES ('erin', 'new.localhost', '1796437004', 'Registered but didn''t login');
INSERT INTO public.last VALUES ('frank', 'new.localhost', '1796437004', 'Registered but didn''t login');
INSERT INTO public.last VALUES ('grace', 'new.localhost', '1796437004', 'Registered but didn''t login');
INSERT INTO public.last VALUES ('troll', 'new.localhost', '1796437005', 'Registered but didn''t login');
INSERT INTO public.last VALUES ('paula', 'new2.localhost', '1796437005', 'Registered but didn''t login');
INSERT INTO public.last VALUES ('alice', 'new.localhost', '1796437014', 'Stream reset by peer');
INSERT INTO public.last VALUES ('dave', 'new.localhost', '1796437016', 'Stream reset by peer');
INSERT INTO public.last VALUES ('carol', 'new.localhost', '1796437016', 'Stream reset by peer');
INSERT INTO public.last VALUES ('bob', 'new.localhost', '1796437016', 'Stream reset by peer');


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

INSERT INTO public.privacy_default_list VALUES ('alice', 'new.localhost', 'Blocked contacts');
INSERT INTO public.privacy_default_list VALUES ('carol', 'new.localhost', 'quiet');


--
-- Data for Name: privacy_list; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.privacy_list VALUES ('alice', 'new.localhost', 'Blocked contacts', 1, '2026-12-05 02:16:53.998558');
INSERT INTO public.privacy_list VALUES ('alice', 'new.localhost', 'work', 2, '2026-12-05 02:16:54.503652');
INSERT INTO public.privacy_list VALUES ('alice', 'new.localhost', 'invisible', 3, '2026-12-05 02:16:57.191703');
INSERT INTO public.privacy_list VALUES ('carol', 'new.localhost', 'quiet', 4, '2026-12-05 02:16:57.385078');


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

INSERT INTO public.private_storage VALUES ('alice', 'new.localhost', 'storage:rosternotes', '<storage xmlns=''storage:rosternotes''><note mdate=''2024-02-03T04:05:06Z'' jid=''bob@new.localhost'' cdate=''2024-01-02T03:04:05Z''>Met at the conference</note></storage>', '2026-12-05 02:16:53.887871');
INSERT INTO public.private_storage VALUES ('alice', 'new.localhost', 'exodus:prefs', '<exodus xmlns=''exodus:prefs''><defaultnick>Ally</defaultnick></exodus>', '2026-12-05 02:16:53.946624');
INSERT INTO public.private_storage VALUES ('paula', 'new2.localhost', 'exodus:prefs', '<exodus xmlns=''exodus:prefs''><defaultnick>Paula</defaultnick></exodus>', '2026-12-05 02:16:58.265966');


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

INSERT INTO public.pubsub_item VALUES (1, 'c7a9c45fd419815a5ab1998503a9f03514c0e229', 'alice@new.localhost/fill', '001796:437010:720848', '001796:437011:964719', '<data xmlns=''urn:xmpp:avatar:data''>iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==</data>');
INSERT INTO public.pubsub_item VALUES (2, 'c7a9c45fd419815a5ab1998503a9f03514c0e229', 'alice@new.localhost/fill', '001796:437011:492766', '001796:437012:160936', '<metadata xmlns=''urn:xmpp:avatar:metadata''><info height=''1'' id=''c7a9c45fd419815a5ab1998503a9f03514c0e229'' bytes=''70'' type=''image/png'' width=''1''/></metadata>');
INSERT INTO public.pubsub_item VALUES (3, 'current', 'alice@new.localhost/fill', '001796:437012:760626', '001796:437012:760626', '<nick xmlns=''http://jabber.org/protocol/nick''>Ally</nick>');
INSERT INTO public.pubsub_item VALUES (4, 'current', 'alice@new.localhost/fill', '001796:437012:968193', '001796:437012:968193', '<vcard xmlns=''urn:ietf:params:xml:ns:vcard-4.0''><fn><text>Alice Liddell</text></fn><n><surname>Liddell</surname><given>Alice</given></n><nickname><text>Ally</text></nickname><email><text>alice@example.org</text></email><note><text>filled by xp_populate</text></note></vcard>');
INSERT INTO public.pubsub_item VALUES (5, 'current', 'alice@new.localhost/fill', '001796:437013:292780', '001796:437013:292780', '<devices xmlns=''urn:xmpp:omemo:2''><device label=''Phone'' id=''31415''/><device id=''27182''/></devices>');
INSERT INTO public.pubsub_item VALUES (6, 'current', 'alice@new.localhost/fill', '001796:437013:740913', '001796:437013:740913', '<moved xmlns=''urn:xmpp:moved:1''><new-jid>alice@elsewhere.example</new-jid></moved>');
INSERT INTO public.pubsub_item VALUES (7, 'room1@conference.new.localhost', 'alice@new.localhost/fill', '001796:437014:465906', '001796:437014:465906', '<conference xmlns=''urn:xmpp:bookmarks:1'' autojoin=''true'' name=''Room 1''><nick>Ally</nick></conference>');
INSERT INTO public.pubsub_item VALUES (7, 'room2@conference.new.localhost', 'alice@new.localhost/fill', '001796:437014:486437', '001796:437014:486437', '<conference xmlns=''urn:xmpp:bookmarks:1'' autojoin=''true'' name=''Room 2''><nick>Ally</nick></conference>');
INSERT INTO public.pubsub_item VALUES (8, '7046AB1A631BA', 'paula@new2.localhost/fill2', '001796:437018:908763', '001796:437018:908763', '<metadata xmlns=''urn:xmpp:avatar:metadata''/>');


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

INSERT INTO public.rostergroups VALUES ('alice', 'new.localhost', 'bob@new.localhost', 'Friends');
INSERT INTO public.rostergroups VALUES ('alice', 'new.localhost', 'bob@new.localhost', 'Work');
INSERT INTO public.rostergroups VALUES ('alice', 'new.localhost', 'carol@new.localhost', 'Work');
INSERT INTO public.rostergroups VALUES ('alice', 'new.localhost', 'dave@new.localhost', 'Family');
INSERT INTO public.rostergroups VALUES ('alice', 'new.localhost', 'erin@new.localhost', 'Friends');
INSERT INTO public.rostergroups VALUES ('alice', 'new.localhost', 'erin@new.localhost', 'Old');
INSERT INTO public.rostergroups VALUES ('paula', 'new2.localhost', 'alice@new.localhost', 'Old friends');


--
-- Data for Name: rosterusers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.rosterusers VALUES ('alice', 'new.localhost', 'erin@new.localhost', 'Erin E', 'N', 'N', '', 'N', '', 'item', '2026-12-05 02:16:47.396287');
INSERT INTO public.rosterusers VALUES ('alice', 'new.localhost', 'bob@new.localhost', 'Bob Example', 'B', 'N', '', 'N', '', 'item', '2026-12-05 02:16:46.571242');
INSERT INTO public.rosterusers VALUES ('bob', 'new.localhost', 'alice@new.localhost', '', 'B', 'N', '', 'N', '', 'item', '2026-12-05 02:16:47.96636');
INSERT INTO public.rosterusers VALUES ('carol', 'new.localhost', 'alice@new.localhost', '', 'F', 'N', '', 'N', '', 'item', '2026-12-05 02:16:48.829286');
INSERT INTO public.rosterusers VALUES ('alice', 'new.localhost', 'carol@new.localhost', 'Carol C', 'T', 'N', '', 'N', '', 'item', '2026-12-05 02:16:46.849686');
INSERT INTO public.rosterusers VALUES ('alice', 'new.localhost', 'dave@new.localhost', 'Dave D', 'F', 'N', '', 'N', '', 'item', '2026-12-05 02:16:47.123208');
INSERT INTO public.rosterusers VALUES ('dave', 'new.localhost', 'alice@new.localhost', '', 'T', 'N', '', 'N', '', 'item', '2026-12-05 02:16:48.944314');
INSERT INTO public.rosterusers VALUES ('alice', 'new.localhost', 'frank@new.localhost', 'Frank F', 'N', 'O', '', 'N', '', 'item', '2026-12-05 02:16:47.672539');
INSERT INTO public.rosterusers VALUES ('frank', 'new.localhost', 'alice@new.localhost', '', 'N', 'I', '', 'N', '', 'item', '2026-12-05 02:16:54.625299');
INSERT INTO public.rosterusers VALUES ('grace', 'new.localhost', 'alice@new.localhost', '', 'N', 'O', '', 'N', '', 'item', '2026-12-05 02:16:55.559802');
INSERT INTO public.rosterusers VALUES ('alice', 'new.localhost', 'grace@new.localhost', '', 'N', 'I', 'Hi Alice, it is Grace', 'N', '', 'item', '2026-12-05 02:16:55.563364');
INSERT INTO public.rosterusers VALUES ('paula', 'new2.localhost', 'alice@new.localhost', 'Alice', 'N', 'N', '', 'N', '', 'item', '2026-12-05 02:16:58.001161');


--
-- Data for Name: route; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: sm; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: spool; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.spool VALUES ('alice', 'new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''offline-1'' xmlns=''jabber:client''><archived by=''alice@new.localhost'' id=''1796437015569471'' xmlns=''urn:xmpp:mam:tmp''/><stanza-id by=''alice@new.localhost'' id=''1796437015569471'' xmlns=''urn:xmpp:sid:0''/><delay from=''new.localhost'' stamp=''2026-12-05T02:16:55.620742Z'' xmlns=''urn:xmpp:delay''>Offline Storage</delay><body>while you were away</body></message>', 1, '2026-12-05 02:16:55.708182');
INSERT INTO public.spool VALUES ('alice', 'new.localhost', '<message xml:lang=''en'' to=''alice@new.localhost'' from=''paula@new2.localhost/fill2'' type=''chat'' id=''vhost2-1'' xmlns=''jabber:client''><archived by=''alice@new.localhost'' id=''1796437019333617'' xmlns=''urn:xmpp:mam:tmp''/><stanza-id by=''alice@new.localhost'' id=''1796437019333617'' xmlns=''urn:xmpp:sid:0''/><delay from=''new.localhost'' stamp=''2026-12-05T02:16:59.334823Z'' xmlns=''urn:xmpp:delay''>Offline Storage</delay><body>hello from the second vhost</body></message>', 2, '2026-12-05 02:16:59.376204');


--
-- Data for Name: sr_group; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: sr_user; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES ('alice', 'new.localhost', 'keRE+PaMREH9PCNURf5YfhaK6cU=', '55kOaM1LZzdbOQXPWjvNCXdKttk=', 'lnJKlZD+ki1SAkLBkFhs2A==', 4096, '2026-12-05 02:16:42.807989');
INSERT INTO public.users VALUES ('bob', 'new.localhost', 'f6Uw1LND/xu9slFPSVISrUByBFU=', 'aAHvkEETKLNRHgTnNoo67LketRQ=', 'iJpcCBd95/kQtsxyovaaKg==', 4096, '2026-12-05 02:16:43.248119');
INSERT INTO public.users VALUES ('carol', 'new.localhost', '24jbq9kC6W5IzO8Ok6D84W67NVc=', 'THMt24qW9p/2e9B/ckJGkL0S9Zw=', 'sEtPBHDITZ+w5Vxjouk/QQ==', 4096, '2026-12-05 02:16:43.632061');
INSERT INTO public.users VALUES ('dave', 'new.localhost', 'viR84EwVcnRdLe+0eHBJ9w9sny4=', 'WPvcX5/FmtTtBenH2/Guci4p3tY=', '4HTI4bwceJIG2TRfgqEWRg==', 4096, '2026-12-05 02:16:44.084064');
INSERT INTO public.users VALUES ('erin', 'new.localhost', 'wjwGBF0m1VTqHL7iKfltsXPuGlQ=', 'xj69ocSqNUF9UMJsmxbMeeEOll8=', 'vtPt+4tpMON++JJSQGP3iA==', 4096, '2026-12-05 02:16:44.460211');
INSERT INTO public.users VALUES ('frank', 'new.localhost', 'dJafCtkYG7o1APCDUkFCrB+NNBs=', 'ud5tgZqylOZA+HCSf1uIE+NcOcM=', 's2enajprW2iBsDH8YzO8Gg==', 4096, '2026-12-05 02:16:44.736831');
INSERT INTO public.users VALUES ('grace', 'new.localhost', 'EpoVpx0Xwtq5d+OSWzZDYi7E0T0=', 'GaZcAq92AwnrdKoWIPpWsnc3PTE=', 'B7G71MbUQ35mlcH3LE4VWA==', 4096, '2026-12-05 02:16:44.97684');
INSERT INTO public.users VALUES ('troll', 'new.localhost', 'rrVHCM3czzRU3N9IJcZ33bhD8dY=', 'eTb1aW4T7QXfqMzp40ntxc+IY4M=', '6Sl5NCL3aiKCqo8uk5m0Gg==', 4096, '2026-12-05 02:16:45.235446');
INSERT INTO public.users VALUES ('paula', 'new2.localhost', 'Q2YX0Yvc+NZnEtA7k9vBOuXYhU4=', 'Eh9U6iZHLcID4Vif85gaQOcMGek=', 'wNCjMs5HazFACebL0Hty3Q==', 4096, '2026-12-05 02:16:45.552005');


--
-- Data for Name: vcard; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.vcard VALUES ('alice', 'new.localhost', '<vCard xmlns=''vcard-temp''><PHOTO><BINVAL>iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==</BINVAL><TYPE>image/png</TYPE></PHOTO><N><GIVEN>Alice</GIVEN><FAMILY>Liddell</FAMILY></N><FN>Alice Liddell</FN><EMAIL><INTERNET/><USERID>alice@example.org</USERID></EMAIL><NICKNAME>Ally</NICKNAME></vCard>', '2026-12-05 02:16:50.024053');
INSERT INTO public.vcard VALUES ('paula', 'new2.localhost', '<vCard xmlns=''vcard-temp''><FN>Paula P</FN><NICKNAME>Paula</NICKNAME></vCard>', '2026-12-05 02:16:58.31659');


--
-- Data for Name: vcard_search; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.vcard_search VALUES ('alice', 'alice', 'new.localhost', 'Alice Liddell', 'alice liddell', 'Liddell', 'liddell', 'Alice', 'alice', '', '', 'Ally', 'ally', '', '', '', '', '', '', 'alice@example.org', 'alice@example.org', '', '', '', '');
INSERT INTO public.vcard_search VALUES ('paula', 'paula', 'new2.localhost', 'Paula P', 'paula p', '', '', '', '', '', '', 'Paula', 'paula', '', '', '', '', '', '', '', '', '', '', '', '');


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

\unrestrict vvzItw72ITVvyLBR93zF6HOxnnQQauB0O8tkbXGTj2fMYoP3ANk2CIV2ehohYiQ

