#!/usr/bin/env python3
"""examples/smtp_debug_server against Python's smtplib, the client seed 004's smtpd served.

Checks: mails printed exactly as smtpd.DebuggingServer prints them (banner lines, X-Peer after
the headers); dot-stuffed lines come back unstuffed; several mails and recipients in one
session, RSET between; EHLO's extensions; the replies to commands out of order, unknown or
too long; two clients at once.
Usage: smtp_test.py SMTP_DEBUG_SERVER
"""
import re
import smtplib
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def read_mail(out):
    lines = []
    for line in out:
        lines.append(line.rstrip("\n"))
        if line.startswith("------------ END MESSAGE"):
            return lines
    return lines


def main():
    server = subprocess.Popen([sys.argv[1], "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    m = re.match(r"listening on 127\.0\.0\.1:(\d+)", server.stderr.readline())
    if not m:
        sys.exit("smtp_debug_server did not start")
    port = int(m.group(1))
    try:
        # 1. One mail with lines that need dot-stuffing; smtplib stuffs, the server unstuffs.
        body = "Subject: dots\r\nFrom: a@example.com\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nlast line\r\n"
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
            code, ehlo = s.ehlo("client.test")
            check(code == 250, "EHLO answered 250")
            check(s.has_extn("8bitmime") and s.has_extn("size"), "EHLO lists 8BITMIME and SIZE: %r" % ehlo)
            refused = s.sendmail("a@example.com", ["b@example.com"], body)
            check(refused == {}, "no recipient refused")
        got = read_mail(server.stdout)
        want = ["---------- MESSAGE FOLLOWS ----------", "Subject: dots", "From: a@example.com",
                "X-Peer: 127.0.0.1", "", ".leading dot", "..two dots", ".", "last line",
                "------------ END MESSAGE ------------"]
        check(got == want, "mail 1 printed as smtpd does:\n%r\n%r" % (got, want))

        # 2. Two mails in one session, several recipients, RSET between; HELO this time.
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
            check(s.helo("client.test")[0] == 250, "HELO answered 250")
            s.sendmail("x@example.com", ["y@example.com", "z@example.com"], "Subject: one\r\n\r\nfirst\r\n")
            check(s.rset()[0] == 250, "RSET answered 250")
            s.sendmail("x@example.com", ["y@example.com"], "Subject: two\r\n\r\nsecond\r\n")
            check(s.noop()[0] == 250, "NOOP answered 250")
        one, two = read_mail(server.stdout), read_mail(server.stdout)
        check(one[1:5] == ["Subject: one", "X-Peer: 127.0.0.1", "", "first"], "mail one: %r" % one)
        check(two[1:5] == ["Subject: two", "X-Peer: 127.0.0.1", "", "second"], "mail two: %r" % two)

        # 3. Commands out of order, unknown and too long.
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
            check(s.docmd("MAIL FROM:<a@b>")[0] == 503, "MAIL before HELO: 503")
            s.helo("client.test")
            check(s.docmd("RCPT TO:<a@b>")[0] == 503, "RCPT before MAIL: 503")
            check(s.docmd("DATA")[0] == 503, "DATA before RCPT: 503")
            check(s.docmd("MAIL", "TO:<a@b>")[0] == 501, "MAIL without FROM: 501")
            check(s.docmd("FROB")[0] == 500, "unknown command: 500")
            check(s.docmd("VRFY", "someone")[0] == 252, "VRFY: 252")
            check(s.docmd("HELO", "again")[0] == 503, "second HELO: 503")
            code, msg = s.docmd("NOOP " + "x" * 600)
            check(code == 500 and b"too long" in msg, "a 600-byte command line: 500 (%d %r)" % (code, msg))

        # 4. Two clients at once: the first holds its session open while the second mails.
        a = smtplib.SMTP("127.0.0.1", port, timeout=10)
        a.helo("a.test")
        a.mail("a@example.com")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as b:
            b.sendmail("b@example.com", ["c@example.com"], "Subject: from b\r\n\r\nb\r\n")
        check(read_mail(server.stdout)[1] == "Subject: from b", "second client served while the first waits")
        a.rcpt("d@example.com")
        a.data("Subject: from a\r\n\r\na\r\n")
        a.quit()
        check(read_mail(server.stdout)[1] == "Subject: from a", "the first client finishes afterwards")
    finally:
        server.terminate()
        server.wait()
    if failures:
        sys.exit("%d checks failed" % len(failures))
    print("smtp_debug_server: all checks passed")


if __name__ == "__main__":
    main()
