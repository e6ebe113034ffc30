PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE users (
    username text NOT NULL,
    server_host text NOT NULL,
    password text NOT NULL,
    serverkey text NOT NULL DEFAULT '',
    salt text NOT NULL DEFAULT '',
    iterationcount integer NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (server_host, username)
);
INSERT INTO users VALUES('alice','new.localhost','7cyaqxZgTTugH81PIuXpl75w6XY=','ht3FXgTiHiSEvNau+PnaFvrZQDw=','h0/NDqg4gEkSl2i91gKdsw==',4096,'2026-12-05 02:15:57');
INSERT INTO users VALUES('bob','new.localhost','bk7EXBW4FMRThXJkHnqdBgpmymg=','zxtvbDBTgkEzb4YE6IbAnv01x88=','mVNSVxp3dm3e5mbTS7AcMg==',4096,'2026-12-05 02:15:57');
INSERT INTO users VALUES('carol','new.localhost','0UPIrczUBf2oC3VToxF7Z4ed4/M=','tpgZOFUB1E5W0Xgre+PhQpLDqh0=','XbaV0zVHm/MRRJyPSZOwjg==',4096,'2026-12-05 02:15:57');
INSERT INTO users VALUES('dave','new.localhost','Z4jYXPGT1EQ8W331RIbwqrFrdHk=','CX/KU2eR9ji+CSb1WfRXA7RPgAU=','YXxzVB1FZPGUh5+weR5+fA==',4096,'2026-12-05 02:15:58');
INSERT INTO users VALUES('erin','new.localhost','rKAw21abWQDf3GUvSNgc3iPDJtQ=','+40YQycROtVeMFOennM3+B5bIdE=','YPVENFGL1lO3VKD5H+yDIg==',4096,'2026-12-05 02:15:58');
INSERT INTO users VALUES('frank','new.localhost','4vXWJgz1v/N7C9lWhYjcLha7NyE=','TYRos6Yqrayepj9/QuAsVrdIlT0=','2+T3Pz+oakaqyC6EaehepQ==',4096,'2026-12-05 02:15:58');
INSERT INTO users VALUES('grace','new.localhost','xlCN5kN5x47OkWmCcCHXjVntFBM=','yfHW/Sf2jIUAf10nArd/e+6S7dI=','JmG6nNy+LpyzxZgB2g/qPQ==',4096,'2026-12-05 02:15:58');
INSERT INTO users VALUES('troll','new.localhost','i2KD/n+ZhNfvR+Ym473U+SamFFc=','n3zViTxPgEKPQIgTLaQJX6EwuQQ=','LpyPI+I8jYHPhPmx5/W4Nw==',4096,'2026-12-05 02:15:59');
INSERT INTO users VALUES('paula','new2.localhost','POEy3fIUJigHjp0k/v2fy7Gqur4=','hu7oguBta1TB09YUxmh7tUHl7zE=','xmFKlJ8iESrPirr2ijODgA==',4096,'2026-12-05 02:15:59');
CREATE TABLE last (
    username text NOT NULL,
    server_host text NOT NULL,
    seconds text NOT NULL,
    state text NOT NULL,
    PRIMARY KEY (server_host, username)
);
INSERT INTO "last" VALUES('alice','new.localhost','1796436960','Stream reset by peer');
INSERT INTO "last" VALUES('bob','new.localhost','1796436961','Stream reset by peer');
INSERT INTO "last" VALUES('carol','new.localhost','1796436961','Stream reset by peer');
INSERT INTO "last" VALUES('dave','new.localhost','1796436961','Stream reset by peer');
INSERT INTO "last" VALUES('erin','new.localhost','1796436958','Registered but didn''t login');
INSERT INTO "last" VALUES('frank','new.localhost','1796436958','Registered but didn''t login');
INSERT INTO "last" VALUES('grace','new.localhost','1796436958','Registered but didn''t login');
INSERT INTO "last" VALUES('troll','new.localhost','1796436959','Registered but didn''t login');
INSERT INTO "last" VALUES('paula','new2.localhost','1796436959','Registered but didn''t login');
CREATE TABLE rosterusers (
    username text NOT NULL,
    server_host text NOT NULL,
    jid text NOT NULL,
    nick text NOT NULL,
    subscription character(1) NOT NULL,
    ask character(1) NOT NULL,
    askmessage text NOT NULL,
    server character(1) NOT NULL,
    subscribe text NOT NULL,
    type text,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO rosterusers VALUES('alice','new.localhost','bob@new.localhost','Bob Example','B','N','','N','','item','2026-12-05 02:15:59');
INSERT INTO rosterusers VALUES('alice','new.localhost','carol@new.localhost','Carol C','T','N','','N','','item','2026-12-05 02:15:59');
INSERT INTO rosterusers VALUES('alice','new.localhost','dave@new.localhost','Dave D','F','N','','N','','item','2026-12-05 02:15:59');
INSERT INTO rosterusers VALUES('alice','new.localhost','erin@new.localhost','Erin E','N','N','','N','','item','2026-12-05 02:15:59');
INSERT INTO rosterusers VALUES('alice','new.localhost','frank@new.localhost','Frank F','N','O','','N','','item','2026-12-05 02:15:59');
INSERT INTO rosterusers VALUES('bob','new.localhost','alice@new.localhost','','B','N','','N','','item','2026-12-05 02:15:59');
INSERT INTO rosterusers VALUES('carol','new.localhost','alice@new.localhost','','F','N','','N','','item','2026-12-05 02:15:59');
INSERT INTO rosterusers VALUES('dave','new.localhost','alice@new.localhost','','T','N','','N','','item','2026-12-05 02:16:00');
INSERT INTO rosterusers VALUES('frank','new.localhost','alice@new.localhost','','N','I','','N','','item','2026-12-05 02:16:00');
INSERT INTO rosterusers VALUES('grace','new.localhost','alice@new.localhost','','N','O','','N','','item','2026-12-05 02:16:01');
INSERT INTO rosterusers VALUES('alice','new.localhost','grace@new.localhost','','N','I','Hi Alice, it is Grace','N','','item','2026-12-05 02:16:01');
INSERT INTO rosterusers VALUES('paula','new2.localhost','alice@new.localhost','Alice','N','N','','N','','item','2026-12-05 02:16:02');
CREATE TABLE rostergroups (
    username text NOT NULL,
    server_host text NOT NULL,
    jid text NOT NULL,
    grp text NOT NULL
);
INSERT INTO rostergroups VALUES('alice','new.localhost','bob@new.localhost','Friends');
INSERT INTO rostergroups VALUES('alice','new.localhost','bob@new.localhost','Work');
INSERT INTO rostergroups VALUES('alice','new.localhost','carol@new.localhost','Work');
INSERT INTO rostergroups VALUES('alice','new.localhost','dave@new.localhost','Family');
INSERT INTO rostergroups VALUES('alice','new.localhost','erin@new.localhost','Friends');
INSERT INTO rostergroups VALUES('alice','new.localhost','erin@new.localhost','Old');
INSERT INTO rostergroups VALUES('paula','new2.localhost','alice@new.localhost','Old friends');
CREATE TABLE sr_group (
    name text NOT NULL,
    server_host text NOT NULL,
    opts text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (server_host, name)
);
CREATE TABLE sr_user (
    jid text NOT NULL,
    server_host text NOT NULL,
    grp text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (server_host, jid, grp)
);
CREATE TABLE spool (
    username text NOT NULL,
    server_host text NOT NULL,
    xml text NOT NULL,
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO spool VALUES('alice','new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''offline-1'' xmlns=''jabber:client''><archived by=''alice@new.localhost'' id=''1796436961294760'' xmlns=''urn:xmpp:mam:tmp''/><stanza-id by=''alice@new.localhost'' id=''1796436961294760'' xmlns=''urn:xmpp:sid:0''/><delay from=''new.localhost'' stamp=''2026-12-05T02:16:01.298341Z'' xmlns=''urn:xmpp:delay''>Offline Storage</delay><body>while you were away</body></message>',1,'2026-12-05 02:16:01');
INSERT INTO spool VALUES('alice','new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''paula@new2.localhost/fill2'' type=''chat'' id=''vhost2-1'' xmlns=''jabber:client''><archived by=''alice@new.localhost'' id=''1796436962484780'' xmlns=''urn:xmpp:mam:tmp''/><stanza-id by=''alice@new.localhost'' id=''1796436962484780'' xmlns=''urn:xmpp:sid:0''/><delay from=''new.localhost'' stamp=''2026-12-05T02:16:02.486442Z'' xmlns=''urn:xmpp:delay''>Offline Storage</delay><body>hello from the second vhost</body></message>',2,'2026-12-05 02:16:02');
CREATE TABLE archive (
    username text NOT NULL,
    server_host text NOT NULL,
    timestamp BIGINT UNSIGNED NOT NULL,
    peer text NOT NULL,
    bare_peer text NOT NULL,
    xml text NOT NULL,
    txt text,
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind text,
    nick text,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO archive VALUES('alice','new.localhost',1796436960061138,'bob@new.localhost','bob@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-1'' xmlns=''jabber:client''><body>alice to bob 1</body></message>','alice to bob 1',1,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960071417,'alice@new.localhost/fill','alice@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-1'' xmlns=''jabber:client''><body>alice to bob 1</body></message>','alice to bob 1',2,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960087983,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-1'' xmlns=''jabber:client''><body>bob to alice 1</body></message>','bob to alice 1',3,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960089992,'bob@new.localhost/fill','bob@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-1'' xmlns=''jabber:client''><body>bob to alice 1</body></message>','bob to alice 1',4,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960102683,'bob@new.localhost','bob@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-2'' xmlns=''jabber:client''><body>alice to bob 2</body></message>','alice to bob 2',5,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960104484,'alice@new.localhost/fill','alice@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-2'' xmlns=''jabber:client''><body>alice to bob 2</body></message>','alice to bob 2',6,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960113533,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-2'' xmlns=''jabber:client''><body>bob to alice 2</body></message>','bob to alice 2',7,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960115259,'bob@new.localhost/fill','bob@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-2'' xmlns=''jabber:client''><body>bob to alice 2</body></message>','bob to alice 2',8,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960127227,'bob@new.localhost','bob@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-3'' xmlns=''jabber:client''><body>alice to bob 3</body></message>','alice to bob 3',9,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960129016,'alice@new.localhost/fill','alice@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-3'' xmlns=''jabber:client''><body>alice to bob 3</body></message>','alice to bob 3',10,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960137034,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-3'' xmlns=''jabber:client''><body>bob to alice 3</body></message>','bob to alice 3',11,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960138710,'bob@new.localhost/fill','bob@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-3'' xmlns=''jabber:client''><body>bob to alice 3</body></message>','bob to alice 3',12,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960151771,'bob@new.localhost','bob@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-4'' xmlns=''jabber:client''><body>alice to bob 4</body></message>','alice to bob 4',13,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960153757,'alice@new.localhost/fill','alice@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-4'' xmlns=''jabber:client''><body>alice to bob 4</body></message>','alice to bob 4',14,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960162924,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-4'' xmlns=''jabber:client''><body>bob to alice 4</body></message>','bob to alice 4',15,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960164706,'bob@new.localhost/fill','bob@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-4'' xmlns=''jabber:client''><body>bob to alice 4</body></message>','bob to alice 4',16,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960177689,'bob@new.localhost','bob@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-5'' xmlns=''jabber:client''><body>alice to bob 5</body></message>','alice to bob 5',17,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960179524,'alice@new.localhost/fill','alice@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-5'' xmlns=''jabber:client''><body>alice to bob 5</body></message>','alice to bob 5',18,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960188188,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-5'' xmlns=''jabber:client''><body>bob to alice 5</body></message>','bob to alice 5',19,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960189860,'bob@new.localhost/fill','bob@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-5'' xmlns=''jabber:client''><body>bob to alice 5</body></message>','bob to alice 5',20,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960203584,'bob@new.localhost','bob@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-6'' xmlns=''jabber:client''><body>alice to bob 6</body></message>','alice to bob 6',21,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960205264,'alice@new.localhost/fill','alice@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-6'' xmlns=''jabber:client''><body>alice to bob 6</body></message>','alice to bob 6',22,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960222876,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-6'' xmlns=''jabber:client''><body>bob to alice 6</body></message>','bob to alice 6',23,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960225558,'bob@new.localhost/fill','bob@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-6'' xmlns=''jabber:client''><body>bob to alice 6</body></message>','bob to alice 6',24,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960237748,'bob@new.localhost','bob@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-7'' xmlns=''jabber:client''><body>alice to bob 7</body></message>','alice to bob 7',25,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960239635,'alice@new.localhost/fill','alice@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-7'' xmlns=''jabber:client''><body>alice to bob 7</body></message>','alice to bob 7',26,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960256805,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-7'' xmlns=''jabber:client''><body>bob to alice 7</body></message>','bob to alice 7',27,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960258929,'bob@new.localhost/fill','bob@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-7'' xmlns=''jabber:client''><body>bob to alice 7</body></message>','bob to alice 7',28,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960271539,'bob@new.localhost','bob@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-8'' xmlns=''jabber:client''><body>alice to bob 8</body></message>','alice to bob 8',29,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960278994,'alice@new.localhost/fill','alice@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-8'' xmlns=''jabber:client''><body>alice to bob 8</body></message>','alice to bob 8',30,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960290457,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-8'' xmlns=''jabber:client''><body>bob to alice 8</body></message>','bob to alice 8',31,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960292567,'bob@new.localhost/fill','bob@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-8'' xmlns=''jabber:client''><body>bob to alice 8</body></message>','bob to alice 8',32,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960305235,'bob@new.localhost','bob@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-9'' xmlns=''jabber:client''><body>alice to bob 9</body></message>','alice to bob 9',33,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960306946,'alice@new.localhost/fill','alice@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-9'' xmlns=''jabber:client''><body>alice to bob 9</body></message>','alice to bob 9',34,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960315125,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-9'' xmlns=''jabber:client''><body>bob to alice 9</body></message>','bob to alice 9',35,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960317797,'bob@new.localhost/fill','bob@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-9'' xmlns=''jabber:client''><body>bob to alice 9</body></message>','bob to alice 9',36,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960329860,'bob@new.localhost','bob@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-10'' xmlns=''jabber:client''><body>alice to bob 10</body></message>','alice to bob 10',37,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960332343,'alice@new.localhost/fill','alice@new.localhost','<message xml:lang=''en'' to=''bob@new.localhost'' from=''alice@new.localhost/fill'' type=''chat'' id=''a2b-10'' xmlns=''jabber:client''><body>alice to bob 10</body></message>','alice to bob 10',38,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436960348779,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-10'' xmlns=''jabber:client''><body>bob to alice 10</body></message>','bob to alice 10',39,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('alice','new.localhost',1796436960351211,'bob@new.localhost/fill','bob@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''b2a-10'' xmlns=''jabber:client''><body>bob to alice 10</body></message>','bob to alice 10',40,'chat','','2026-12-05 02:16:00');
INSERT INTO archive VALUES('bob','new.localhost',1796436961293413,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''offline-1'' xmlns=''jabber:client''><body>while you were away</body></message>','while you were away',41,'chat','','2026-12-05 02:16:01');
INSERT INTO archive VALUES('alice','new.localhost',1796436961294760,'bob@new.localhost/fill','bob@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''bob@new.localhost/fill'' type=''chat'' id=''offline-1'' xmlns=''jabber:client''><body>while you were away</body></message>','while you were away',42,'chat','','2026-12-05 02:16:01');
INSERT INTO archive VALUES('paula','new2.localhost',1796436962483137,'alice@new.localhost','alice@new.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''paula@new2.localhost/fill2'' type=''chat'' id=''vhost2-1'' xmlns=''jabber:client''><body>hello from the second vhost</body></message>','hello from the second vhost',43,'chat','','2026-12-05 02:16:02');
INSERT INTO archive VALUES('alice','new.localhost',1796436962484780,'paula@new2.localhost/fill2','paula@new2.localhost','<message xml:lang=''en'' to=''alice@new.localhost'' from=''paula@new2.localhost/fill2'' type=''chat'' id=''vhost2-1'' xmlns=''jabber:client''><body>hello from the second vhost</body></message>','hello from the second vhost',44,'chat','','2026-12-05 02:16:02');
CREATE TABLE archive_prefs (
    username text NOT NULL,
    server_host text NOT NULL,
    def text NOT NULL,
    always text NOT NULL,
    never text NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (server_host, username)
);
INSERT INTO archive_prefs VALUES('alice','new.localhost','always','[{<<"bob">>,<<"new.localhost">>,<<>>}]','[{<<"erin">>,<<"new.localhost">>,<<>>}]','2026-12-05 02:16:00');
CREATE TABLE vcard (
    username text NOT NULL,
    server_host text NOT NULL,
    vcard text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (server_host, username)
);
INSERT INTO vcard VALUES('alice','new.localhost','<vCard xmlns=''vcard-temp''><PHOTO><BINVAL>iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==</BINVAL><TYPE>image/png</TYPE></PHOTO><N><GIVEN>Alice</GIVEN><FAMILY>Liddell</FAMILY></N><FN>Alice Liddell</FN><EMAIL><INTERNET/><USERID>alice@example.org</USERID></EMAIL><NICKNAME>Ally</NICKNAME></vCard>','2026-12-05 02:16:00');
INSERT INTO vcard VALUES('paula','new2.localhost','<vCard xmlns=''vcard-temp''><FN>Paula P</FN><NICKNAME>Paula</NICKNAME></vCard>','2026-12-05 02:16:02');
CREATE TABLE vcard_search (
    username text NOT NULL,
    lusername text NOT NULL,
    server_host text NOT NULL,
    fn text NOT NULL,
    lfn text NOT NULL,
    family text NOT NULL,
    lfamily text NOT NULL,
    given text NOT NULL,
    lgiven text NOT NULL,
    middle text NOT NULL,
    lmiddle text NOT NULL,
    nickname text NOT NULL,
    lnickname text NOT NULL,
    bday text NOT NULL,
    lbday text NOT NULL,
    ctry text NOT NULL,
    lctry text NOT NULL,
    locality text NOT NULL,
    llocality text NOT NULL,
    email text NOT NULL,
    lemail text NOT NULL,
    orgname text NOT NULL,
    lorgname text NOT NULL,
    orgunit text NOT NULL,
    lorgunit text NOT NULL,
    PRIMARY KEY (server_host, lusername)
);
INSERT INTO vcard_search VALUES('alice','alice','new.localhost','Alice Liddell','alice liddell','Liddell','liddell','Alice','alice','','','Ally','ally','','','','','','','alice@example.org','alice@example.org','','','','');
INSERT INTO vcard_search VALUES('paula','paula','new2.localhost','Paula P','paula p','','','','','','','Paula','paula','','','','','','','','','','','','');
CREATE TABLE privacy_default_list (
    username text NOT NULL,
    server_host text NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (server_host, username)
);
INSERT INTO privacy_default_list VALUES('alice','new.localhost','Blocked contacts');
INSERT INTO privacy_default_list VALUES('carol','new.localhost','quiet');
CREATE TABLE privacy_list (
    username text NOT NULL,
    server_host text NOT NULL,
    name text NOT NULL,
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO privacy_list VALUES('alice','new.localhost','Blocked contacts',1,'2026-12-05 02:16:00');
INSERT INTO privacy_list VALUES('alice','new.localhost','work',2,'2026-12-05 02:16:00');
INSERT INTO privacy_list VALUES('alice','new.localhost','invisible',3,'2026-12-05 02:16:02');
INSERT INTO privacy_list VALUES('carol','new.localhost','quiet',4,'2026-12-05 02:16:02');
CREATE TABLE privacy_list_data (
    id bigint REFERENCES privacy_list(id) ON DELETE CASCADE,
    t character(1) NOT NULL,
    value text NOT NULL,
    action character(1) NOT NULL,
    ord NUMERIC NOT NULL,
    match_all boolean NOT NULL,
    match_iq boolean NOT NULL,
    match_message boolean NOT NULL,
    match_presence_in boolean NOT NULL,
    match_presence_out boolean NOT NULL
);
INSERT INTO privacy_list_data VALUES(2,'j','frank@new.localhost','d',1,0,0,1,1,0);
INSERT INTO privacy_list_data VALUES(2,'g','Work','a',2,1,0,0,0,0);
INSERT INTO privacy_list_data VALUES(2,'s','none','d',3,0,1,0,0,0);
INSERT INTO privacy_list_data VALUES(2,'n','','a',4,1,0,0,0,0);
INSERT INTO privacy_list_data VALUES(1,'j','spam@spam.example','d',0,1,0,0,0,0);
INSERT INTO privacy_list_data VALUES(1,'j','troll@new.localhost','d',0,1,0,0,0,0);
INSERT INTO privacy_list_data VALUES(3,'n','','d',1,0,0,0,0,1);
INSERT INTO privacy_list_data VALUES(4,'j','spam.example','d',1,1,0,0,0,0);
INSERT INTO privacy_list_data VALUES(4,'n','','a',2,1,0,0,0,0);
CREATE TABLE private_storage (
    username text NOT NULL,
    server_host text NOT NULL,
    namespace text NOT NULL,
    data text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (server_host, username, namespace)
);
INSERT INTO private_storage VALUES('alice','new.localhost','storage:rosternotes','<storage xmlns=''storage:rosternotes''><note mdate=''2024-02-03T04:05:06Z'' jid=''bob@new.localhost'' cdate=''2024-01-02T03:04:05Z''>Met at the conference</note></storage>','2026-12-05 02:16:00');
INSERT INTO private_storage VALUES('alice','new.localhost','exodus:prefs','<exodus xmlns=''exodus:prefs''><defaultnick>Ally</defaultnick></exodus>','2026-12-05 02:16:00');
INSERT INTO private_storage VALUES('paula','new2.localhost','exodus:prefs','<exodus xmlns=''exodus:prefs''><defaultnick>Paula</defaultnick></exodus>','2026-12-05 02:16:02');
CREATE TABLE roster_version (
    username text NOT NULL,
    server_host text NOT NULL,
    version text NOT NULL,
    PRIMARY KEY (server_host, username)
);
CREATE TABLE pubsub_node (
  host text NOT NULL,
  node text NOT NULL,
  parent text NOT NULL DEFAULT '',
  plugin text NOT NULL,
  nodeid INTEGER PRIMARY KEY AUTOINCREMENT
);
INSERT INTO pubsub_node VALUES('alice@new.localhost','urn:xmpp:avatar:data','','pep',1);
INSERT INTO pubsub_node VALUES('alice@new.localhost','urn:xmpp:avatar:metadata','','pep',2);
INSERT INTO pubsub_node VALUES('alice@new.localhost','http://jabber.org/protocol/nick','','pep',3);
INSERT INTO pubsub_node VALUES('alice@new.localhost','urn:xmpp:vcard4','','pep',4);
INSERT INTO pubsub_node VALUES('alice@new.localhost','urn:xmpp:omemo:2:devices','','pep',5);
INSERT INTO pubsub_node VALUES('alice@new.localhost','urn:xmpp:moved:1','','pep',6);
INSERT INTO pubsub_node VALUES('alice@new.localhost','urn:xmpp:bookmarks:1','','pep',7);
INSERT INTO pubsub_node VALUES('paula@new2.localhost','urn:xmpp:avatar:metadata','','pep',8);
CREATE TABLE pubsub_node_option (
  nodeid bigint REFERENCES pubsub_node(nodeid) ON DELETE CASCADE,
  name text NOT NULL,
  val text NOT NULL
);
INSERT INTO pubsub_node_option VALUES(1,'access_model','presence');
INSERT INTO pubsub_node_option VALUES(1,'deliver_notifications','true');
INSERT INTO pubsub_node_option VALUES(1,'deliver_payloads','true');
INSERT INTO pubsub_node_option VALUES(1,'itemreply','none');
INSERT INTO pubsub_node_option VALUES(1,'max_items','1');
INSERT INTO pubsub_node_option VALUES(1,'max_payload_size','250000');
INSERT INTO pubsub_node_option VALUES(1,'notification_type','headline');
INSERT INTO pubsub_node_option VALUES(1,'notify_config','false');
INSERT INTO pubsub_node_option VALUES(1,'notify_delete','false');
INSERT INTO pubsub_node_option VALUES(1,'notify_retract','false');
INSERT INTO pubsub_node_option VALUES(1,'persist_items','true');
INSERT INTO pubsub_node_option VALUES(1,'presence_based_delivery','true');
INSERT INTO pubsub_node_option VALUES(1,'publish_model','publishers');
INSERT INTO pubsub_node_option VALUES(1,'purge_offline','false');
INSERT INTO pubsub_node_option VALUES(1,'roster_groups_allowed','[]');
INSERT INTO pubsub_node_option VALUES(1,'rsm','true');
INSERT INTO pubsub_node_option VALUES(1,'send_last_published_item','on_sub_and_presence');
INSERT INTO pubsub_node_option VALUES(1,'sql','true');
INSERT INTO pubsub_node_option VALUES(1,'subscribe','true');
INSERT INTO pubsub_node_option VALUES(2,'access_model','presence');
INSERT INTO pubsub_node_option VALUES(2,'deliver_notifications','true');
INSERT INTO pubsub_node_option VALUES(2,'deliver_payloads','true');
INSERT INTO pubsub_node_option VALUES(2,'itemreply','none');
INSERT INTO pubsub_node_option VALUES(2,'max_items','1');
INSERT INTO pubsub_node_option VALUES(2,'max_payload_size','250000');
INSERT INTO pubsub_node_option VALUES(2,'notification_type','headline');
INSERT INTO pubsub_node_option VALUES(2,'notify_config','false');
INSERT INTO pubsub_node_option VALUES(2,'notify_delete','false');
INSERT INTO pubsub_node_option VALUES(2,'notify_retract','false');
INSERT INTO pubsub_node_option VALUES(2,'persist_items','true');
INSERT INTO pubsub_node_option VALUES(2,'presence_based_delivery','true');
INSERT INTO pubsub_node_option VALUES(2,'publish_model','publishers');
INSERT INTO pubsub_node_option VALUES(2,'purge_offline','false');
INSERT INTO pubsub_node_option VALUES(2,'roster_groups_allowed','[]');
INSERT INTO pubsub_node_option VALUES(2,'rsm','true');
INSERT INTO pubsub_node_option VALUES(2,'send_last_published_item','on_sub_and_presence');
INSERT INTO pubsub_node_option VALUES(2,'sql','true');
INSERT INTO pubsub_node_option VALUES(2,'subscribe','true');
INSERT INTO pubsub_node_option VALUES(3,'access_model','presence');
INSERT INTO pubsub_node_option VALUES(3,'deliver_notifications','true');
INSERT INTO pubsub_node_option VALUES(3,'deliver_payloads','true');
INSERT INTO pubsub_node_option VALUES(3,'itemreply','none');
INSERT INTO pubsub_node_option VALUES(3,'max_items','1');
INSERT INTO pubsub_node_option VALUES(3,'max_payload_size','250000');
INSERT INTO pubsub_node_option VALUES(3,'notification_type','headline');
INSERT INTO pubsub_node_option VALUES(3,'notify_config','false');
INSERT INTO pubsub_node_option VALUES(3,'notify_delete','false');
INSERT INTO pubsub_node_option VALUES(3,'notify_retract','false');
INSERT INTO pubsub_node_option VALUES(3,'persist_items','true');
INSERT INTO pubsub_node_option VALUES(3,'presence_based_delivery','true');
INSERT INTO pubsub_node_option VALUES(3,'publish_model','publishers');
INSERT INTO pubsub_node_option VALUES(3,'purge_offline','false');
INSERT INTO pubsub_node_option VALUES(3,'roster_groups_allowed','[]');
INSERT INTO pubsub_node_option VALUES(3,'rsm','true');
INSERT INTO pubsub_node_option VALUES(3,'send_last_published_item','on_sub_and_presence');
INSERT INTO pubsub_node_option VALUES(3,'sql','true');
INSERT INTO pubsub_node_option VALUES(3,'subscribe','true');
INSERT INTO pubsub_node_option VALUES(4,'access_model','presence');
INSERT INTO pubsub_node_option VALUES(4,'deliver_notifications','true');
INSERT INTO pubsub_node_option VALUES(4,'deliver_payloads','true');
INSERT INTO pubsub_node_option VALUES(4,'itemreply','none');
INSERT INTO pubsub_node_option VALUES(4,'max_items','1');
INSERT INTO pubsub_node_option VALUES(4,'max_payload_size','250000');
INSERT INTO pubsub_node_option VALUES(4,'notification_type','headline');
INSERT INTO pubsub_node_option VALUES(4,'notify_config','false');
INSERT INTO pubsub_node_option VALUES(4,'notify_delete','false');
INSERT INTO pubsub_node_option VALUES(4,'notify_retract','false');
INSERT INTO pubsub_node_option VALUES(4,'persist_items','true');
INSERT INTO pubsub_node_option VALUES(4,'presence_based_delivery','true');
INSERT INTO pubsub_node_option VALUES(4,'publish_model','publishers');
INSERT INTO pubsub_node_option VALUES(4,'purge_offline','false');
INSERT INTO pubsub_node_option VALUES(4,'roster_groups_allowed','[]');
INSERT INTO pubsub_node_option VALUES(4,'rsm','true');
INSERT INTO pubsub_node_option VALUES(4,'send_last_published_item','on_sub_and_presence');
INSERT INTO pubsub_node_option VALUES(4,'sql','true');
INSERT INTO pubsub_node_option VALUES(4,'subscribe','true');
INSERT INTO pubsub_node_option VALUES(5,'access_model','open');
INSERT INTO pubsub_node_option VALUES(5,'deliver_notifications','true');
INSERT INTO pubsub_node_option VALUES(5,'deliver_payloads','true');
INSERT INTO pubsub_node_option VALUES(5,'itemreply','none');
INSERT INTO pubsub_node_option VALUES(5,'max_items','1');
INSERT INTO pubsub_node_option VALUES(5,'max_payload_size','250000');
INSERT INTO pubsub_node_option VALUES(5,'notification_type','headline');
INSERT INTO pubsub_node_option VALUES(5,'notify_config','false');
INSERT INTO pubsub_node_option VALUES(5,'notify_delete','false');
INSERT INTO pubsub_node_option VALUES(5,'notify_retract','false');
INSERT INTO pubsub_node_option VALUES(5,'persist_items','true');
INSERT INTO pubsub_node_option VALUES(5,'presence_based_delivery','true');
INSERT INTO pubsub_node_option VALUES(5,'publish_model','publishers');
INSERT INTO pubsub_node_option VALUES(5,'purge_offline','false');
INSERT INTO pubsub_node_option VALUES(5,'roster_groups_allowed','[]');
INSERT INTO pubsub_node_option VALUES(5,'rsm','true');
INSERT INTO pubsub_node_option VALUES(5,'send_last_published_item','on_sub_and_presence');
INSERT INTO pubsub_node_option VALUES(5,'sql','true');
INSERT INTO pubsub_node_option VALUES(5,'subscribe','true');
INSERT INTO pubsub_node_option VALUES(6,'access_model','open');
INSERT INTO pubsub_node_option VALUES(6,'deliver_notifications','true');
INSERT INTO pubsub_node_option VALUES(6,'deliver_payloads','true');
INSERT INTO pubsub_node_option VALUES(6,'itemreply','none');
INSERT INTO pubsub_node_option VALUES(6,'max_items','1');
INSERT INTO pubsub_node_option VALUES(6,'max_payload_size','250000');
INSERT INTO pubsub_node_option VALUES(6,'notification_type','headline');
INSERT INTO pubsub_node_option VALUES(6,'notify_config','false');
INSERT INTO pubsub_node_option VALUES(6,'notify_delete','false');
INSERT INTO pubsub_node_option VALUES(6,'notify_retract','false');
INSERT INTO pubsub_node_option VALUES(6,'persist_items','true');
INSERT INTO pubsub_node_option VALUES(6,'presence_based_delivery','true');
INSERT INTO pubsub_node_option VALUES(6,'publish_model','publishers');
INSERT INTO pubsub_node_option VALUES(6,'purge_offline','false');
INSERT INTO pubsub_node_option VALUES(6,'roster_groups_allowed','[]');
INSERT INTO pubsub_node_option VALUES(6,'rsm','true');
INSERT INTO pubsub_node_option VALUES(6,'send_last_published_item','on_sub_and_presence');
INSERT INTO pubsub_node_option VALUES(6,'sql','true');
INSERT INTO pubsub_node_option VALUES(6,'subscribe','true');
INSERT INTO pubsub_node_option VALUES(7,'access_model','whitelist');
INSERT INTO pubsub_node_option VALUES(7,'deliver_notifications','true');
INSERT INTO pubsub_node_option VALUES(7,'deliver_payloads','true');
INSERT INTO pubsub_node_option VALUES(7,'itemreply','none');
INSERT INTO pubsub_node_option VALUES(7,'max_items','max');
INSERT INTO pubsub_node_option VALUES(7,'max_payload_size','250000');
INSERT INTO pubsub_node_option VALUES(7,'notification_type','headline');
INSERT INTO pubsub_node_option VALUES(7,'notify_config','false');
INSERT INTO pubsub_node_option VALUES(7,'notify_delete','false');
INSERT INTO pubsub_node_option VALUES(7,'notify_retract','false');
INSERT INTO pubsub_node_option VALUES(7,'persist_items','true');
INSERT INTO pubsub_node_option VALUES(7,'presence_based_delivery','true');
INSERT INTO pubsub_node_option VALUES(7,'publish_model','publishers');
INSERT INTO pubsub_node_option VALUES(7,'purge_offline','false');
INSERT INTO pubsub_node_option VALUES(7,'roster_groups_allowed','[]');
INSERT INTO pubsub_node_option VALUES(7,'rsm','true');
INSERT INTO pubsub_node_option VALUES(7,'send_last_published_item','never');
INSERT INTO pubsub_node_option VALUES(7,'sql','true');
INSERT INTO pubsub_node_option VALUES(7,'subscribe','true');
INSERT INTO pubsub_node_option VALUES(8,'access_model','presence');
INSERT INTO pubsub_node_option VALUES(8,'deliver_notifications','true');
INSERT INTO pubsub_node_option VALUES(8,'deliver_payloads','true');
INSERT INTO pubsub_node_option VALUES(8,'itemreply','none');
INSERT INTO pubsub_node_option VALUES(8,'max_items','1');
INSERT INTO pubsub_node_option VALUES(8,'max_payload_size','250000');
INSERT INTO pubsub_node_option VALUES(8,'notification_type','headline');
INSERT INTO pubsub_node_option VALUES(8,'notify_config','false');
INSERT INTO pubsub_node_option VALUES(8,'notify_delete','false');
INSERT INTO pubsub_node_option VALUES(8,'notify_retract','false');
INSERT INTO pubsub_node_option VALUES(8,'persist_items','true');
INSERT INTO pubsub_node_option VALUES(8,'presence_based_delivery','true');
INSERT INTO pubsub_node_option VALUES(8,'publish_model','publishers');
INSERT INTO pubsub_node_option VALUES(8,'purge_offline','false');
INSERT INTO pubsub_node_option VALUES(8,'roster_groups_allowed','[]');
INSERT INTO pubsub_node_option VALUES(8,'rsm','true');
INSERT INTO pubsub_node_option VALUES(8,'send_last_published_item','on_sub_and_presence');
INSERT INTO pubsub_node_option VALUES(8,'sql','true');
INSERT INTO pubsub_node_option VALUES(8,'subscribe','true');
CREATE TABLE pubsub_node_owner (
  nodeid bigint REFERENCES pubsub_node(nodeid) ON DELETE CASCADE,
  owner text NOT NULL
);
CREATE TABLE pubsub_state (
  nodeid bigint REFERENCES pubsub_node(nodeid) ON DELETE CASCADE,
  jid text NOT NULL,
  affiliation character(1),
  subscriptions text NOT NULL DEFAULT '',
  stateid INTEGER PRIMARY KEY AUTOINCREMENT
);
INSERT INTO pubsub_state VALUES(1,'alice@new.localhost','o','',1);
INSERT INTO pubsub_state VALUES(2,'alice@new.localhost','o','',2);
INSERT INTO pubsub_state VALUES(3,'alice@new.localhost','o','',3);
INSERT INTO pubsub_state VALUES(4,'alice@new.localhost','o','',4);
INSERT INTO pubsub_state VALUES(5,'alice@new.localhost','o','',5);
INSERT INTO pubsub_state VALUES(6,'alice@new.localhost','o','',6);
INSERT INTO pubsub_state VALUES(7,'alice@new.localhost','o','',7);
INSERT INTO pubsub_state VALUES(8,'paula@new2.localhost','o','',8);
CREATE TABLE pubsub_item (
  nodeid bigint REFERENCES pubsub_node(nodeid) ON DELETE CASCADE,
  itemid text NOT NULL,
  publisher text NOT NULL,
  creation varchar(32) NOT NULL,
  modification varchar(32) NOT NULL,
  payload text NOT NULL DEFAULT ''
);
INSERT INTO pubsub_item VALUES(1,'c7a9c45fd419815a5ab1998503a9f03514c0e229','alice@new.localhost/fill','001796:436960:381510','001796:436960:414160','<data xmlns=''urn:xmpp:avatar:data''>iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==</data>');
INSERT INTO pubsub_item VALUES(2,'c7a9c45fd419815a5ab1998503a9f03514c0e229','alice@new.localhost/fill','001796:436960:393830','001796:436960:429335','<metadata xmlns=''urn:xmpp:avatar:metadata''><info height=''1'' id=''c7a9c45fd419815a5ab1998503a9f03514c0e229'' bytes=''70'' type=''image/png'' width=''1''/></metadata>');
INSERT INTO pubsub_item VALUES(3,'current','alice@new.localhost/fill','001796:436960:453635','001796:436960:453635','<nick xmlns=''http://jabber.org/protocol/nick''>Ally</nick>');
INSERT INTO pubsub_item VALUES(4,'current','alice@new.localhost/fill','001796:436960:470943','001796:436960:470943','<vcard xmlns=''urn:ietf:params:xml:ns:vcard-4.0''><fn><text>Alice Liddell</text></fn><n><surname>Liddell</surname><given>Alice</given></n><nickname><text>Ally</text></nickname><email><text>alice@example.org</text></email><note><text>filled by xp_populate</text></note></vcard>');
INSERT INTO pubsub_item VALUES(5,'current','alice@new.localhost/fill','001796:436960:488453','001796:436960:488453','<devices xmlns=''urn:xmpp:omemo:2''><device label=''Phone'' id=''31415''/><device id=''27182''/></devices>');
INSERT INTO pubsub_item VALUES(6,'current','alice@new.localhost/fill','001796:436960:500875','001796:436960:500875','<moved xmlns=''urn:xmpp:moved:1''><new-jid>alice@elsewhere.example</new-jid></moved>');
INSERT INTO pubsub_item VALUES(7,'room1@conference.new.localhost','alice@new.localhost/fill','001796:436960:579847','001796:436960:579847','<conference xmlns=''urn:xmpp:bookmarks:1'' autojoin=''true'' name=''Room 1''><nick>Ally</nick></conference>');
INSERT INTO pubsub_item VALUES(7,'room2@conference.new.localhost','alice@new.localhost/fill','001796:436960:594459','001796:436960:594459','<conference xmlns=''urn:xmpp:bookmarks:1'' autojoin=''true'' name=''Room 2''><nick>Ally</nick></conference>');
INSERT INTO pubsub_item VALUES(8,'7046AAE27456A','paula@new2.localhost/fill2','001796:436962:480572','001796:436962:480572','<metadata xmlns=''urn:xmpp:avatar:metadata''/>');
CREATE TABLE pubsub_subscription_opt (
  subid text NOT NULL,
  opt_name varchar(32),
  opt_value text NOT NULL
);
CREATE TABLE muc_room (
    name text NOT NULL,
    server_host text NOT NULL,
    host text NOT NULL,
    opts text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE muc_registered (
    jid text NOT NULL,
    host text NOT NULL,
    server_host text NOT NULL,
    nick text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE muc_online_room (
    name text NOT NULL,
    host text NOT NULL,
    server_host text NOT NULL,
    node text NOT NULL,
    pid text NOT NULL
);
CREATE TABLE muc_online_users (
    username text NOT NULL,
    server text NOT NULL,
    resource text NOT NULL,
    name text NOT NULL,
    host text NOT NULL,
    server_host text NOT NULL,
    node text NOT NULL
);
CREATE TABLE muc_room_subscribers (
   room text NOT NULL,
   host text NOT NULL,
   jid text NOT NULL,
   nick text NOT NULL,
   nodes text NOT NULL,
   created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE motd (
    username text NOT NULL,
    server_host text NOT NULL,
    xml text,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (server_host, username)
);
CREATE TABLE caps_features (
    node text NOT NULL,
    subnode text NOT NULL,
    feature text,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE sm (
    usec bigint NOT NULL,
    pid text NOT NULL,
    node text NOT NULL,
    username text NOT NULL,
    server_host text NOT NULL,
    resource text NOT NULL,
    priority text NOT NULL,
    info text NOT NULL,
    PRIMARY KEY (usec, pid)
);
CREATE TABLE oauth_token (
    token text NOT NULL PRIMARY KEY,
    jid text NOT NULL,
    scope text NOT NULL,
    expire bigint NOT NULL
);
CREATE TABLE oauth_client (
    client_id text PRIMARY KEY,
    client_name text NOT NULL,
    grant_type text NOT NULL,
    options text NOT NULL
);
CREATE TABLE route (
    domain text NOT NULL,
    server_host text NOT NULL,
    node text NOT NULL,
    pid text NOT NULL,
    local_hint text NOT NULL
);
CREATE TABLE bosh (
    sid text NOT NULL,
    node text NOT NULL,
    pid text NOT NULL
);
CREATE TABLE proxy65 (
    sid text NOT NULL,
    pid_t text NOT NULL,
    pid_i text NOT NULL,
    node_t text NOT NULL,
    node_i text NOT NULL,
    jid_i text NOT NULL
);
CREATE TABLE push_session (
    username text NOT NULL,
    server_host text NOT NULL,
    timestamp bigint NOT NULL,
    service text NOT NULL,
    node text NOT NULL,
    xml text NOT NULL,
    PRIMARY KEY (server_host, username, timestamp)
);
CREATE TABLE mix_channel (
    channel text NOT NULL,
    service text NOT NULL,
    username text NOT NULL,
    domain text NOT NULL,
    jid text NOT NULL,
    hidden boolean NOT NULL,
    hmac_key text NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE mix_participant (
    channel text NOT NULL,
    service text NOT NULL,
    username text NOT NULL,
    domain text NOT NULL,
    jid text NOT NULL,
    id text NOT NULL,
    nick text NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE mix_subscription (
    channel text NOT NULL,
    service text NOT NULL,
    username text NOT NULL,
    domain text NOT NULL,
    node text NOT NULL,
    jid text NOT NULL
);
CREATE TABLE mix_pam (
    username text NOT NULL,
    server_host text NOT NULL,
    channel text NOT NULL,
    service text NOT NULL,
    id text NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE mqtt_pub (
    username text NOT NULL,
    server_host text NOT NULL,
    resource text NOT NULL,
    topic text NOT NULL,
    qos smallint NOT NULL,
    payload blob NOT NULL,
    payload_format smallint NOT NULL,
    content_type text NOT NULL,
    response_topic text NOT NULL,
    correlation_data blob NOT NULL,
    user_properties blob NOT NULL,
    expiry bigint NOT NULL
);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('archive',44);
INSERT INTO sqlite_sequence VALUES('pubsub_node',8);
INSERT INTO sqlite_sequence VALUES('pubsub_state',8);
INSERT INTO sqlite_sequence VALUES('privacy_list',4);
INSERT INTO sqlite_sequence VALUES('spool',2);
CREATE UNIQUE INDEX i_rosteru_sh_user_jid ON rosterusers (server_host, username, jid);
CREATE INDEX i_rosteru_sh_username ON rosterusers (server_host, username);
CREATE INDEX i_rosteru_sh_jid ON rosterusers (server_host, jid);
CREATE INDEX i_rosterg_sh_user_jid ON rostergroups (server_host, username, jid);
CREATE UNIQUE INDEX i_sr_group_sh_name ON sr_group (server_host, name);
CREATE UNIQUE INDEX i_sr_user_sh_jid_grp ON sr_user (server_host, jid, grp);
CREATE INDEX i_sr_user_sh_jid ON sr_user (server_host, jid);
CREATE INDEX i_sr_user_sh_grp ON sr_user (server_host, grp);
CREATE INDEX i_spool_sh_username ON spool (server_host, username);
CREATE INDEX i_archive_sh_username_timestamp ON archive (server_host, username, timestamp);
CREATE INDEX i_archive_sh_username_peer ON archive (server_host, username, peer);
CREATE INDEX i_archive_sh_username_bare_peer ON archive (server_host, username, bare_peer);
CREATE INDEX i_archive_sh_timestamp ON archive (server_host, timestamp);
CREATE INDEX i_vcard_search_sh_lfn       ON vcard_search(server_host, lfn);
CREATE INDEX i_vcard_search_sh_lfamily   ON vcard_search(server_host, lfamily);
CREATE INDEX i_vcard_search_sh_lgiven    ON vcard_search(server_host, lgiven);
CREATE INDEX i_vcard_search_sh_lmiddle   ON vcard_search(server_host, lmiddle);
CREATE INDEX i_vcard_search_sh_lnickname ON vcard_search(server_host, lnickname);
CREATE INDEX i_vcard_search_sh_lbday     ON vcard_search(server_host, lbday);
CREATE INDEX i_vcard_search_sh_lctry     ON vcard_search(server_host, lctry);
CREATE INDEX i_vcard_search_sh_llocality ON vcard_search(server_host, llocality);
CREATE INDEX i_vcard_search_sh_lemail    ON vcard_search(server_host, lemail);
CREATE INDEX i_vcard_search_sh_lorgname  ON vcard_search(server_host, lorgname);
CREATE INDEX i_vcard_search_sh_lorgunit  ON vcard_search(server_host, lorgunit);
CREATE INDEX i_privacy_list_sh_username ON privacy_list (server_host, username);
CREATE UNIQUE INDEX i_privacy_list_sh_username_name ON privacy_list (server_host, username, name);
CREATE INDEX i_private_storage_sh_username ON private_storage (server_host, username);
CREATE INDEX i_pubsub_node_parent ON pubsub_node (parent);
CREATE UNIQUE INDEX i_pubsub_node_tuple ON pubsub_node (host, node);
CREATE INDEX i_pubsub_node_option_nodeid ON pubsub_node_option (nodeid);
CREATE INDEX i_pubsub_node_owner_nodeid ON pubsub_node_owner (nodeid);
CREATE INDEX i_pubsub_state_jid ON pubsub_state (jid);
CREATE UNIQUE INDEX i_pubsub_state_tuple ON pubsub_state (nodeid, jid);
CREATE INDEX i_pubsub_item_itemid ON pubsub_item (itemid);
CREATE UNIQUE INDEX i_pubsub_item_tuple ON pubsub_item (nodeid, itemid);
CREATE UNIQUE INDEX i_pubsub_subscription_opt ON pubsub_subscription_opt (subid, opt_name);
CREATE UNIQUE INDEX i_muc_room_name_host ON muc_room (name, host);
CREATE INDEX i_muc_room_host_created_at ON muc_room (host, created_at);
CREATE INDEX i_muc_registered_nick ON muc_registered (nick);
CREATE UNIQUE INDEX i_muc_registered_jid_host ON muc_registered (jid, host);
CREATE UNIQUE INDEX i_muc_online_room_name_host ON muc_online_room (name, host);
CREATE UNIQUE INDEX i_muc_online_users ON muc_online_users (username, server, resource, name, host);
CREATE INDEX i_muc_online_users_us ON muc_online_users (username, server);
CREATE INDEX i_muc_room_subscribers_host_jid ON muc_room_subscribers(host, jid);
CREATE INDEX i_muc_room_subscribers_jid ON muc_room_subscribers(jid);
CREATE UNIQUE INDEX i_muc_room_subscribers_host_room_jid ON muc_room_subscribers(host, room, jid);
CREATE INDEX i_caps_features_node_subnode ON caps_features (node, subnode);
CREATE INDEX i_sm_node ON sm(node);
CREATE INDEX i_sm_sh_username ON sm (server_host, username);
CREATE UNIQUE INDEX i_route ON route(domain, server_host, node, pid);
CREATE INDEX i_route_domain ON route(domain);
CREATE UNIQUE INDEX i_bosh_sid ON bosh(sid);
CREATE UNIQUE INDEX i_proxy65_sid ON proxy65 (sid);
CREATE INDEX i_proxy65_jid ON proxy65 (jid_i);
CREATE UNIQUE INDEX i_push_session_susn ON push_session (server_host, username, service, node);
CREATE UNIQUE INDEX i_mix_channel ON mix_channel (channel, service);
CREATE INDEX i_mix_channel_serv ON mix_channel (service);
CREATE UNIQUE INDEX i_mix_participant ON mix_participant (channel, service, username, domain);
CREATE INDEX i_mix_participant_chan_serv ON mix_participant (channel, service);
CREATE UNIQUE INDEX i_mix_subscription ON mix_subscription (channel, service, username, domain, node);
CREATE INDEX i_mix_subscription_chan_serv_ud ON mix_subscription (channel, service, username, domain);
CREATE INDEX i_mix_subscription_chan_serv_node ON mix_subscription (channel, service, node);
CREATE INDEX i_mix_subscription_chan_serv ON mix_subscription (channel, service);
CREATE UNIQUE INDEX i_mix_pam ON mix_pam (username, server_host, channel, service);
CREATE INDEX i_mix_pam_us ON mix_pam (username, server_host);
CREATE UNIQUE INDEX i_mqtt_topic_server ON mqtt_pub (topic, server_host);
COMMIT;
