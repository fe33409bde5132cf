/*
 * A participant's Java system against idx-sim, with nothing but the JDK (17+): one BPQD message sent by an
 * MDP and received by an LNSP, over the hub's mutual TLS, OAuth 2.0 client credentials and WebSocket events.
 *
 *   1. both participants get an access token: POST /oauth/v1/token, HTTP Basic client authentication
 *      (spec §4.8; RFC 6749 §2.3.1), over mTLS with the participant's certificate;
 *   2. the LNSP opens its event WebSocket (GET /events/v1, bearer token in the upgrade request);
 *   3. the MDP submits the payload: POST /pqd/v1/bpqd, gzip body, x-messageContextId and x-signature
 *      (a detached CMS SignedData over the JSON: the JDK has no public CMS API, so `openssl cms -sign` makes
 *      it here — a Java shop would use Bouncy Castle's CMSSignedDataGenerator);
 *   4. the LNSP hears MESSAGE_AVAILABLE, finds the message in its queue (GET /pqd/v1/bpqd), fetches it
 *      (GET /pqd/v1/bpqd/{id}: the same JSON bytes the MDP sent), deletes it (DELETE: 204) and sees the
 *      queue empty again.
 *
 * Run it from the repository root against `npm start` (see README.md in this folder):
 *   java examples/java-client/IdxRoundTrip.java --url https://localhost:8443 --certs certs \
 *        --payload my-bpqd.json [--sender MDPONE --recipient LNSPNORTH]
 * It prints one JSON line with what it saw, and exits 0 only when every step answered as IDX says it must.
 */
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

public class IdxRoundTrip {
  private static final char[] STORE_PASSWORD = "in-memory-only".toCharArray();
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = parse(argv);
    String url = args.getOrDefault("url", "https://localhost:8443");
    Path certs = Path.of(args.getOrDefault("certs", "certs"));
    String sender = args.getOrDefault("sender", "MDPONE");
    String recipient = args.getOrDefault("recipient", "LNSPNORTH");
    byte[] json = Files.readAllBytes(Path.of(required(args, "payload")));
    Map<String, Object> seen = new HashMap<>();
    List<String> failures = new ArrayList<>();

    HttpClient mdp = client(certs, sender);
    HttpClient lnsp = client(certs, recipient);
    String mdpToken = token(mdp, url, sender, "PQD_BPQD");
    String lnspToken = token(lnsp, url, recipient, "PQD_BPQD EVENT_NOTIFY");
    seen.put("tokens", 2);

    // The LNSP listens for events before the message is sent.
    LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
    WebSocket events = lnsp.newWebSocketBuilder()
        .header("Authorization", "Bearer " + lnspToken)
        .header("x-initiatingParticipantId", recipient)
        .header("x-market", "NEM")
        .connectTimeout(TIMEOUT)
        .buildAsync(URI.create(url.replaceFirst("^http", "ws") + "/events/v1"), new Collector(frames))
        .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

    // The MDP sends: a messageContextId of its own making (spec §3 grammar), gzip body, x-signature.
    String unique = "java-" + Long.toHexString(new SecureRandom().nextLong() & Long.MAX_VALUE);
    String contextId = "pqd~bpqd~" + priorityLetter(json) + "~" + sender.toLowerCase() + "~" + unique;
    HttpResponse<String> posted = mdp.send(HttpRequest.newBuilder(URI.create(url + "/pqd/v1/bpqd"))
        .timeout(TIMEOUT)
        .header("Authorization", "Bearer " + mdpToken)
        .header("x-initiatingParticipantId", sender)
        .header("x-market", "NEM")
        .header("x-messageContextId", contextId)
        .header("x-signature", "RSA-SHA256;" + Base64.getEncoder().encodeToString(cmsSign(json, certs, sender)))
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip")
        .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(json)))
        .build(), HttpResponse.BodyHandlers.ofString());
    seen.put("post", posted.statusCode());
    expect(failures, posted.statusCode() == 200, "POST /pqd/v1/bpqd answered " + posted.statusCode() + ": " + posted.body());

    // The LNSP hears of it, lists, fetches, deletes.
    String available = null;
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (available == null && System.nanoTime() < deadline) {
      String frame = frames.poll(250, TimeUnit.MILLISECONDS);
      if (frame != null && frame.contains("\"MESSAGE_AVAILABLE\"") && frame.contains(contextId)) available = frame;
    }
    seen.put("messageAvailable", available != null);
    expect(failures, available != null, "no MESSAGE_AVAILABLE for " + contextId + " within " + TIMEOUT.toSeconds() + " s");

    HttpResponse<String> listed = lnsp.send(get(url + "/pqd/v1/bpqd?itemCount=100", lnspToken, recipient)
        .header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    seen.put("list", listed.statusCode());
    expect(failures, listed.statusCode() == 200 && listed.body().contains(contextId), "GET /pqd/v1/bpqd: " + listed.statusCode() + " " + listed.body());

    String path = url + "/pqd/v1/bpqd/" + URLEncoder.encode(contextId, StandardCharsets.UTF_8);
    HttpResponse<byte[]> fetched = lnsp.send(get(path, lnspToken, recipient).header("Accept-Encoding", "gzip").build(),
        HttpResponse.BodyHandlers.ofByteArray());
    String encoding = fetched.headers().firstValue("Content-Encoding").orElse("identity");
    byte[] received = "gzip".equalsIgnoreCase(encoding) ? gunzip(fetched.body()) : fetched.body();
    seen.put("get", fetched.statusCode());
    seen.put("sameBytes", java.util.Arrays.equals(received, json));
    seen.put("signed", fetched.headers().firstValue("x-signature").map(s -> s.startsWith("RSA-SHA256;")).orElse(false));
    expect(failures, fetched.statusCode() == 200, "GET " + path + " answered " + fetched.statusCode());
    expect(failures, java.util.Arrays.equals(received, json), "the message fetched is not the JSON sent");

    HttpResponse<String> deleted = lnsp.send(HttpRequest.newBuilder(URI.create(path)).timeout(TIMEOUT)
        .header("Authorization", "Bearer " + lnspToken).header("x-initiatingParticipantId", recipient).header("x-market", "NEM")
        .DELETE().build(), HttpResponse.BodyHandlers.ofString());
    seen.put("delete", deleted.statusCode());
    expect(failures, deleted.statusCode() == 204, "DELETE answered " + deleted.statusCode() + ": " + deleted.body());

    HttpResponse<String> after = lnsp.send(get(url + "/pqd/v1/bpqd/" + URLEncoder.encode(contextId, StandardCharsets.UTF_8), lnspToken, recipient).build(),
        HttpResponse.BodyHandlers.ofString());
    seen.put("getAfterDelete", after.statusCode());
    expect(failures, after.statusCode() == 404 && after.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"),
        "GET after DELETE answered " + after.statusCode() + " " + after.headers().firstValue("Content-Type").orElse(""));

    events.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    seen.put("messageContextId", contextId);
    seen.put("failures", failures);
    System.out.println(toJson(seen));
    System.exit(failures.isEmpty() ? 0 : 1);
  }

  /** An HTTP/1.1 client presenting the participant's certificate and trusting only the hub's CA. */
  static HttpClient client(Path certs, String participantId) throws Exception {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    Path dir = certs.resolve("participants").resolve(participantId);
    List<Certificate> chain = new ArrayList<>(x509.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("primary.crt")))));
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("participant", privateKey(dir.resolve("primary.key")), STORE_PASSWORD, chain.toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, STORE_PASSWORD);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("hub-ca", x509.generateCertificate(new ByteArrayInputStream(Files.readAllBytes(certs.resolve("ca").resolve("ca.crt")))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
  }

  /** A PKCS #8 PEM private key ("BEGIN PRIVATE KEY", what idx-sim's dev CA writes). */
  static PrivateKey privateKey(Path pem) throws Exception {
    String base64 = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }

  /** Client credentials with HTTP Basic (RFC 6749 §2.3.1: id and secret form-urlencoded first). */
  static String token(HttpClient http, String url, String participantId, String scope) throws Exception {
    String id = participantId.toLowerCase() + "-api";
    String secret = participantId.toLowerCase() + "-secret";
    String basic = Base64.getEncoder().encodeToString((form(id) + ":" + form(secret)).getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(url + "/oauth/v1/token"))
        .timeout(TIMEOUT)
        .header("Authorization", "Basic " + basic)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&scope=" + form(scope)))
        .build(), HttpResponse.BodyHandlers.ofString());
    Matcher m = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"").matcher(res.body());
    if (res.statusCode() != 200 || !m.find()) throw new IllegalStateException("token for " + participantId + ": " + res.statusCode() + " " + res.body());
    return m.group(1);
  }

  static HttpRequest.Builder get(String url, String token, String participantId) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET()
        .header("Authorization", "Bearer " + token).header("x-initiatingParticipantId", participantId).header("x-market", "NEM");
  }

  /** `openssl cms -sign`: a detached CMS SignedData (DER) over the JSON bytes, by the participant's primary certificate. */
  static byte[] cmsSign(byte[] content, Path certs, String participantId) throws Exception {
    Path dir = certs.resolve("participants").resolve(participantId);
    Path in = Files.createTempFile("idx-payload", ".json");
    Path out = Files.createTempFile("idx-signature", ".der");
    try {
      Files.write(in, content);
      Process p = new ProcessBuilder("openssl", "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256",
          "-signer", dir.resolve("primary.crt").toString(), "-inkey", dir.resolve("primary.key").toString(),
          "-in", in.toString(), "-out", out.toString()).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) throw new IllegalStateException("openssl cms -sign failed: " + output);
      return Files.readAllBytes(out);
    } finally {
      Files.deleteIfExists(in);
      Files.deleteIfExists(out);
    }
  }

  /** The payload's header.priority as the messageContextId's letter (h, m, l). */
  static String priorityLetter(byte[] json) {
    Matcher m = Pattern.compile("\"priority\"\\s*:\\s*\"(High|Medium|Low)\"").matcher(new String(json, StandardCharsets.UTF_8));
    return m.find() ? m.group(1).substring(0, 1).toLowerCase() : "l";
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  static byte[] gunzip(byte[] data) throws IOException {
    try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(data))) {
      return gz.readAllBytes();
    }
  }

  static String form(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static void expect(List<String> failures, boolean ok, String what) {
    if (!ok) failures.add(what);
  }

  static String required(Map<String, String> args, String name) {
    String v = args.get(name);
    if (v == null) throw new IllegalArgumentException("--" + name + " is required");
    return v;
  }

  static Map<String, String> parse(String[] argv) {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      if (!argv[i].startsWith("--")) throw new IllegalArgumentException("expected --name value, got " + argv[i]);
      args.put(argv[i].substring(2), argv[i + 1]);
    }
    return args;
  }

  static String toJson(Map<String, Object> map) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, Object> e : new java.util.TreeMap<>(map).entrySet()) {
      if (sb.length() > 1) sb.append(',');
      sb.append('"').append(e.getKey()).append("\":").append(value(e.getValue()));
    }
    return sb.append('}').toString();
  }

  static String value(Object v) {
    if (v instanceof List<?> list) {
      StringBuilder sb = new StringBuilder("[");
      for (Object o : list) sb.append(sb.length() > 1 ? "," : "").append(value(o));
      return sb.append(']').toString();
    }
    if (v instanceof String s) return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    return String.valueOf(v);
  }

  /** Collects whole text frames (a frame may arrive in parts). */
  static final class Collector implements WebSocket.Listener {
    private final LinkedBlockingQueue<String> frames;
    private final StringBuilder partial = new StringBuilder();

    Collector(LinkedBlockingQueue<String> frames) {
      this.frames = frames;
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        frames.add(partial.toString());
        partial.setLength(0);
      }
      socket.request(1);
      return CompletableFuture.completedFuture(null);
    }
  }
}
