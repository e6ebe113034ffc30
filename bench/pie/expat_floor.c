/*
 * expat_floor: the cost of parsing alone, as a floor for `xporta check`.
 *
 *   expat_floor [--ns] [--handlers] FILE
 *
 * Plain: expat with no handlers (the bare parse).  --ns: namespace
 * processing as xporta's reader uses it.  --handlers: empty start, end and
 * character handlers, so expat does the work of reporting every event.
 * Reads 64 KiB at a time into expat's own buffer, like the reader.
 */
#include <expat.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static unsigned long elements;

static void XMLCALL on_start(void *ud, const char *name, const char **attrs)
{
    (void)ud;
    (void)name;
    (void)attrs;
    elements++;
}

static void XMLCALL on_end(void *ud, const char *name)
{
    (void)ud;
    (void)name;
}

static void XMLCALL on_text(void *ud, const char *s, int len)
{
    (void)ud;
    (void)s;
    (void)len;
}

int main(int argc, char **argv)
{
    int ns = 0, handlers = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ns") == 0)
            ns = 1;
        else if (strcmp(argv[i], "--handlers") == 0)
            handlers = 1;
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: expat_floor [--ns] [--handlers] FILE\n");
        return 2;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    XML_Parser p =
        ns ? XML_ParserCreateNS(NULL, '\x01') : XML_ParserCreate(NULL);
    if (handlers) {
        XML_SetElementHandler(p, on_start, on_end);
        XML_SetCharacterDataHandler(p, on_text);
    }
    for (;;) {
        void *buf = XML_GetBuffer(p, 64 * 1024);
        ssize_t n = read(fd, buf, 64 * 1024);
        if (n < 0) {
            perror("read");
            return 1;
        }
        if (XML_ParseBuffer(p, (int)n, n == 0) != XML_STATUS_OK) {
            fprintf(stderr, "%s:%lu: %s\n", path,
                    (unsigned long)XML_GetCurrentLineNumber(p),
                    XML_ErrorString(XML_GetErrorCode(p)));
            return 1;
        }
        if (n == 0)
            break;
    }
    if (handlers)
        printf("%lu elements\n", elements);
    XML_ParserFree(p);
    close(fd);
    return 0;
}
