#!/usr/bin/perl
# jvt command agent for images jvt builds: the protocol of the built-in guest's agent (jvt-agent)
# on the virtio-serial port "jvt.cmd", in one Perl process (perl-base is essential in Debian), so a
# command costs one exec (sh) instead of six (base64, timeout, sh, stat, stat, cat).
# Request:  X <id> <timeout-seconds> <base64 script>
# Reply:    R <id> <status> <stdout bytes> <stderr bytes>, then stdout, then stderr
# A command runs in a process group of its own, killed (status 137) at its deadline; its output
# goes to files, so a command that leaves something running in the background still returns.
use strict;
use warnings;
use POSIX ();

$ENV{PATH} = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
$ENV{HOME} = '/root';

sub b64d {    # MIME::Base64 is not in perl-base: decode by way of uudecode
    my $s = shift;
    $s =~ tr|A-Za-z0-9+=/||cd;
    $s =~ s/=+$//;
    $s =~ tr|A-Za-z0-9+/| -_|;
    my $r = '';
    while ($s =~ /(.{1,60})/gs) {
        $r .= unpack('u', chr(32 + length($1) * 3 / 4) . $1);
    }
    return $r;
}

sub slurp {
    my ($f) = @_;
    open(my $h, '<', $f) or return '';
    binmode $h;
    local $/;
    my $d = <$h>;
    close $h;
    return defined $d ? $d : '';
}

my $dev;
until ($dev) {
    for my $p (glob '/sys/class/virtio-ports/*') {
        open(my $f, '<', "$p/name") or next;
        my $n = <$f> // '';
        close $f;
        chomp $n;
        (my $base = $p) =~ s|.*/||;
        $dev = "/dev/$base" if $n eq 'jvt.cmd' && -e "/dev/$base";
    }
    select(undef, undef, undef, 0.1) unless $dev;
}
mkdir '/run/jvt';
chdir '/root';
open(my $io, '+<', $dev) or die "jvt-agent: cannot open $dev: $!\n";
binmode $io;

sub put {
    my ($d) = @_;
    while (length $d) {
        my $n = syswrite($io, $d);
        die "jvt-agent: write: $!\n" unless defined $n;
        substr($d, 0, $n) = '';
    }
}

put("H ready\n");
my $buf = '';
while (1) {
    my $nl = index($buf, "\n");
    if ($nl < 0) {
        my $n = sysread($io, $buf, 65536, length $buf);
        last unless $n;
        next;
    }
    my $line = substr($buf, 0, $nl + 1, '');
    chomp $line;
    my ($kind, $id, $t, $arg) = split / /, $line, 4;
    next unless defined $kind && $kind eq 'X' && defined $t;
    open(my $c, '>', '/run/jvt/cmd') or next;
    binmode $c;
    print $c b64d($arg // '');
    close $c;
    my $pid = fork();
    if (defined $pid && $pid == 0) {
        POSIX::setpgid(0, 0);
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>', '/run/jvt/out');
        open(STDERR, '>', '/run/jvt/err');
        exec('/bin/sh', '/run/jvt/cmd') or POSIX::_exit(127);
    }
    my $status = 127 << 8;
    if (defined $pid) {
        my $killed = 0;
        eval {
            local $SIG{ALRM} = sub { die "deadline\n" };
            alarm($t > 0 ? $t : 1);
            waitpid($pid, 0);
            $status = $?;
            alarm(0);
        };
        if ($@) {
            kill('KILL', -$pid);
            waitpid($pid, 0);
            $status = 9;
        }
    }
    my $st = ($status & 127) ? 128 + ($status & 127) : $status >> 8;
    my $out = slurp('/run/jvt/out');
    my $err = slurp('/run/jvt/err');
    put("R $id $st " . length($out) . ' ' . length($err) . "\n" . $out . $err);
}
