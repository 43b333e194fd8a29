package flashsale.credentials;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.CertificateUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PEM files a node's TLS is built from, re-read every {@code reloadPeriod} so a renewed certificate
 * (cert-manager, step-ca, a cron job) takes effect without a restart; connections already open keep
 * the certificate they were made with. The key is PKCS#8 PEM ({@code BEGIN PRIVATE KEY}), RSA or EC.
 *
 * @param certificate this node's certificate chain, leaf first; null for a client without one
 * @param privateKey its key; null exactly when {@code certificate} is
 * @param trustedCa the CA certificates that sign the peers; null to trust the JDK's default CAs
 * @param reloadPeriod how often the files are read again; null for {@link #DEFAULT_RELOAD}
 */
public record TlsFiles(Path certificate, Path privateKey, Path trustedCa, Duration reloadPeriod) {
  public static final Duration DEFAULT_RELOAD = Duration.ofSeconds(60);

  public TlsFiles {
    if ((certificate == null) != (privateKey == null)) {
      throw new IllegalArgumentException("give a certificate and its key together (got " + certificate + ", " + privateKey + ")");
    }
    for (Path file : new Path[] {certificate, privateKey, trustedCa}) {
      if (file != null && !Files.isReadable(file)) throw new IllegalArgumentException("cannot read TLS file " + file);
    }
    if (reloadPeriod == null) reloadPeriod = DEFAULT_RELOAD;
    if (reloadPeriod.isNegative() || reloadPeriod.isZero()) {
      throw new IllegalArgumentException("the TLS files' reload period must be positive, got " + reloadPeriod);
    }
  }

  /** Live credentials from these files; close them to stop re-reading. */
  public Loaded load() throws IOException {
    return new Loaded(this);
  }

  /** A listener's registration; closing it stops the calls (a channel shut down for good). */
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Key and trust managers that follow the files, and the thread that re-reads them. grpc's own
   * file watching enforces a one-minute minimum and swaps a certificate in even when its key file
   * is still the old one; this watches at any period and swaps only a pair whose key signs for the
   * certificate.
   */
  public static final class Loaded implements AutoCloseable, ClientChainTrust {
    private static final Logger log = LoggerFactory.getLogger(TlsFiles.class);
    private final TlsFiles files;
    private final ScheduledExecutorService reloader;
    private final AdvancedTlsX509KeyManager keys; // null without a certificate
    private final AdvancedTlsX509TrustManager serverTrust;
    private final AdvancedTlsX509TrustManager clientTrust;
    /** The files' hashes and the CAs as last taken, set together only by a load that succeeded. */
    private List<String> loadedVersions;
    /** The files as last taken (reload thread only): a CA change is taken beside a renewal that is not. */
    private Snapshot loadedSnapshot;
    private Set<X509Certificate> loadedCas = Set.of();
    /** The CAs as last loaded, for checking a chain outside a handshake ({@link #trusts}); null: the JDK's. */
    private volatile javax.net.ssl.X509TrustManager chainCheck;
    /** Bumped after every reload that took: the trusted CAs may have changed. */
    private final java.util.concurrent.atomic.AtomicLong trustGeneration = new java.util.concurrent.atomic.AtomicLong();
    /** The certificate chain as last loaded: its leaf's start and expiry, and the chain's earliest expiry; null without a certificate. */
    private volatile Instant certificateStart;
    private volatile Instant certificateExpiry;
    private volatile Instant chainExpiry;
    /** How soon a CA file that takes a CA out is read again to confirm it (or the reload period, if shorter). */
    static final long CA_REMOVAL_CONFIRM_MS = 1_000;
    /** The CA file's hash as a read found it taking a CA out, until a second read confirms it (reload thread only). */
    private String caRemovalToConfirm;
    /** True while the files on disk hold a change that does not load (this node keeps the previous ones). */
    private volatile boolean stale;
    /** This node's workload id, from its certificate's URI SAN as last loaded; empty without one. */
    private volatile Optional<WorkloadId> self = Optional.empty();
    /** Told on the reload thread after a CA was taken out of the CA file (see {@link #onCaRemoved}). */
    private final List<Runnable> caRemovedListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Runnable> identityChangedListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /**
     * Client trust that also checks the server's workload id ({@link #channelTo}); reloaded with the
     * others. Held weakly: a channel shut down and dropped takes its trust manager with it.
     */
    private final Set<AdvancedTlsX509TrustManager> roleCheckedTrust =
        java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));
    /** The CA file's certificates as last loaded, for a trust manager made later ({@link #channelTo}); guarded by roleCheckedTrust. */
    private X509Certificate[] loadedCaCertificates;

    private Loaded(TlsFiles files) throws IOException {
      this.files = files;
      try {
        // A server checks a client's chain only (clients have no host name); a client also checks the host.
        serverTrust = AdvancedTlsX509TrustManager.newBuilder()
            .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION).build();
        clientTrust = AdvancedTlsX509TrustManager.newBuilder()
            .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION).build();
        keys = files.certificate() == null ? null : new AdvancedTlsX509KeyManager();
        Snapshot first = Snapshot.read(files);
        load(first);
        loadedVersions = first.versions();
        loadedSnapshot = first;
        loadedCas = casOf(chainCheck);
      } catch (GeneralSecurityException e) {
        throw new IOException("TLS files " + files + " do not load: " + e.getMessage(), e);
      }
      this.reloader = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tls-reload");
        t.setDaemon(true);
        return t;
      });
      long periodMs = files.reloadPeriod().toMillis();
      reloader.scheduleWithFixedDelay(this::reloadIfChanged, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    /**
     * The files' bytes, read once: what is hashed is what is loaded, so a renewal written between
     * two reads is neither half taken nor taken twice.
     */
    private record Snapshot(byte[] certificate, byte[] privateKey, byte[] trustedCa) {
      static Snapshot read(TlsFiles files) throws IOException {
        return new Snapshot(bytes(files.certificate()), bytes(files.privateKey()), bytes(files.trustedCa()));
      }

      private static byte[] bytes(Path file) throws IOException {
        return file == null ? null : Files.readAllBytes(file);
      }

      /**
       * The files' SHA-256s: a renewal copied with its times kept ({@code cp -p}, {@code rsync -t},
       * {@code tar x}) changes the content but maybe not the modification time.
       */
      List<String> versions() {
        List<String> hashes = new ArrayList<>();
        for (byte[] file : new byte[][] {certificate, privateKey, trustedCa}) {
          if (file != null) hashes.add(Sha256.hex(file));
        }
        return hashes;
      }
    }

    /** A snapshot parsed and checked, not yet in use. */
    private record Prepared(PrivateKey key, X509Certificate[] chain, X509Certificate[] cas,
        javax.net.ssl.X509TrustManager check) {}

    /** Parses and checks everything first, then applies it: a snapshot that fails changes nothing. */
    private void load(Snapshot snapshot) throws IOException, GeneralSecurityException {
      apply(prepare(snapshot, false));
    }

    /**
     * Parses and checks a snapshot. A {@code renewal} (a re-read, not the start) must also be valid
     * now: one already expired or not yet valid is not swapped in for a certificate that still is.
     */
    private Prepared prepare(Snapshot snapshot, boolean renewal) throws IOException, GeneralSecurityException {
      PrivateKey key = null;
      X509Certificate[] chain = null;
      if (keys != null) {
        key = CertificateUtils.getPrivateKey(new java.io.ByteArrayInputStream(snapshot.privateKey()));
        chain = CertificateUtils.getX509Certificates(new java.io.ByteArrayInputStream(snapshot.certificate()));
        if (chain.length == 0) throw new GeneralSecurityException("no certificate in " + files.certificate());
        requirePair(key, chain[0]);
        if (renewal) chain[0].checkValidity(); // CertificateExpiredException, CertificateNotYetValidException
      }
      X509Certificate[] cas = null;
      if (snapshot.trustedCa() != null) {
        cas = CertificateUtils.getX509Certificates(new java.io.ByteArrayInputStream(snapshot.trustedCa()));
        if (cas.length == 0) throw new GeneralSecurityException("no CA certificate in " + files.trustedCa());
      }
      return new Prepared(key, chain, cas, chainCheck(cas));
    }

    private void apply(Prepared next) throws IOException, GeneralSecurityException {
      X509Certificate[] chain = next.chain();
      X509Certificate[] cas = next.cas();
      if (keys != null) {
        keys.updateIdentityCredentials(chain, next.key());
        self = WorkloadId.in(chain[0]);
        certificateStart = chain[0].getNotBefore().toInstant();
        certificateExpiry = chain[0].getNotAfter().toInstant();
        chainExpiry = earliestExpiry(List.of(chain));
      }
      // The calls' check first: a client the new CAs sign may reach it before the handshake takes
      // them; refused then, it reconnects. The other order let one of a removed CA in meanwhile.
      chainCheck = next.check();
      if (cas == null) {
        serverTrust.useSystemDefaultTrustCerts();
        clientTrust.useSystemDefaultTrustCerts();
      } else {
        serverTrust.updateTrustCredentials(cas);
        clientTrust.updateTrustCredentials(cas);
        synchronized (roleCheckedTrust) {
          loadedCaCertificates = cas;
          for (var trust : roleCheckedTrust) trust.updateTrustCredentials(cas);
        }
      }
    }

    private static Set<X509Certificate> casOf(javax.net.ssl.X509TrustManager check) {
      return Set.copyOf(new HashSet<>(Arrays.asList(check.getAcceptedIssuers())));
    }

    private void reloadIfChanged() {
      try {
        Snapshot snapshot = Snapshot.read(files);
        List<String> now = snapshot.versions();
        if (now.equals(loadedVersions)) {
          stale = false; // back to what is loaded (a renewal reverted), or read fine again after an error
          caRemovalToConfirm = null;
          return;
        }
        // A renewed pair must be valid now; a CA change alone is taken whatever this node's own certificate.
        boolean pairChanged = keys != null && !now.subList(0, 2).equals(loadedVersions.subList(0, 2));
        Prepared next;
        String pairRefused = null;
        try {
          next = prepare(snapshot, pairChanged);
        } catch (IOException | GeneralSecurityException | RuntimeException badPair) {
          boolean caFileChanged = files.trustedCa() != null
              && !now.get(now.size() - 1).equals(loadedVersions.get(loadedVersions.size() - 1));
          if (!pairChanged || !caFileChanged) throw badPair;
          // A bad renewal must not hold up a CA change beside it (a removed CA stays trusted until
          // someone fixes the certificate): the CA file is taken with the pair in use.
          snapshot = new Snapshot(loadedSnapshot.certificate(), loadedSnapshot.privateKey(), snapshot.trustedCa());
          now = snapshot.versions();
          pairChanged = false;
          next = prepare(snapshot, false); // a bad CA file fails here as before
          pairRefused = badPair.getMessage();
        }
        // Only a changed CA file can take trust away from others; a renewal of this node's own pair
        // matters to the connections it opened, which a server cuts once their certificate expires.
        String caVersion = now.get(now.size() - 1);
        boolean caChanged = files.trustedCa() != null && !caVersion.equals(loadedVersions.get(now.size() - 1));
        Set<X509Certificate> cas = casOf(next.check());
        // A CA added (a rotation's first step) leaves every connection trusted: nobody reconnects for it.
        boolean caRemoved = caChanged && !cas.containsAll(loadedCas);
        if (caRemoved && !caVersion.equals(caRemovalToConfirm)) {
          // A bundle caught mid-write (cut between two certificates) reads as a CA taken out: ends
          // streams and reconnects everything. A removal is taken once a second read shows the same file.
          caRemovalToConfirm = caVersion;
          stale = true;
          long confirmMs = Math.min(files.reloadPeriod().toMillis(), CA_REMOVAL_CONFIRM_MS);
          reloader.schedule(this::reloadIfChanged, confirmMs, TimeUnit.MILLISECONDS);
          log.info("tls_ca_removal_seen ca={}; taken if a read in {} ms shows the same file", files.trustedCa(), confirmMs);
          return;
        }
        caRemovalToConfirm = null;
        apply(next);
        loadedVersions = now;
        loadedSnapshot = snapshot;
        loadedCas = cas;
        if (caChanged) trustGeneration.incrementAndGet();
        if (caRemoved) tell(caRemovedListeners, "tls_ca_removed");
        // The CA listeners open new connections already, which present the new pair too.
        if (pairChanged && !caRemoved) tell(identityChangedListeners, "tls_identity_changed");
        stale = pairRefused != null;
        if (pairRefused != null) {
          log.warn("tls_reload_partial ca={} taken; certificate={} skipped reason=\"{}\"; serving the previous one",
              files.trustedCa(), files.certificate(), pairRefused);
        } else {
          log.info("tls_reloaded certificate={} ca={}", files.certificate(), files.trustedCa());
        }
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        stale = true;
        // Half-written renewal (new certificate, old key) or a bad file: keep serving the old pair.
        // Nothing is marked loaded, so the next re-read compares against what was last taken.
        log.warn("tls_reload_skipped certificate={} reason=\"{}\"; serving the previous one", files.certificate(), e.getMessage());
      }
    }

    private static void requirePair(PrivateKey key, X509Certificate certificate) throws GeneralSecurityException {
      String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256with" + key.getAlgorithm();
      byte[] probe = "flashsale-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      if (!verifier.verify(signature)) {
        throw new GeneralSecurityException("the key file does not belong to the certificate");
      }
    }

    /**
     * Runs {@code listener} (on the reload thread) each time a changed CA file was taken that no
     * longer holds a CA it held: a client whose connections were checked against the old CAs opens
     * new ones. A file that only gained CAs does not run it.
     */
    public Subscription onCaRemoved(Runnable listener) {
      caRemovedListeners.add(listener);
      return () -> caRemovedListeners.remove(listener);
    }

    /**
     * Runs {@code listener} (on the reload thread) each time a renewed certificate and key of this
     * node were taken: a client opens new connections, which present them (a connection keeps the
     * certificate of its handshake, and the server cuts it once that certificate expires). Not run
     * when a CA was removed in the same re-read: the {@link #onCaRemoved} listeners reopen.
     */
    public Subscription onIdentityChanged(Runnable listener) {
      identityChangedListeners.add(listener);
      return () -> identityChangedListeners.remove(listener);
    }

    private static void tell(List<Runnable> listeners, String what) {
      for (Runnable listener : listeners) {
        try {
          listener.run();
        } catch (RuntimeException e) { // the files are taken: the others must still hear of it
          log.warn("{} listener failed: {}", what, e.toString());
        }
      }
    }

    @Override
    public long generation() {
      return trustGeneration.get();
    }

    /** The workload id in this node's certificate (its spiffe:// URI SAN) as last loaded; empty without one. */
    public Optional<WorkloadId> workloadId() {
      return self;
    }

    /** When this node's certificate as loaded started to be valid; empty without one. */
    public Optional<Instant> certificateStart() {
      return Optional.ofNullable(certificateStart);
    }

    /** When this node's certificate as loaded expires; empty without one. */
    public Optional<Instant> certificateExpiry() {
      return Optional.ofNullable(certificateExpiry);
    }

    /** When this node's certificate chain as loaded stops being valid (its earliest expiry: an intermediate's may come first). */
    public Optional<Instant> chainExpiry() {
      return Optional.ofNullable(chainExpiry);
    }

    /**
     * True while the files on disk hold a change that does not load (a key that does not match the
     * certificate, a file that does not parse): this node keeps serving the previous ones, and a
     * renewal stuck that way ends in an expired certificate.
     */
    public boolean stale() {
      return stale;
    }

    /** Re-reads the files now, on the reload thread, and returns once done (tests). */
    void reloadNow() throws Exception {
      reloader.submit(this::reloadIfChanged).get();
    }

    /** Checks {@code chain} as this node's TLS server checks a client's at the handshake, against the CAs loaded now. */
    @Override
    public boolean trusts(List<X509Certificate> chain) {
      return trusts(chainCheck, chain);
    }

    private static boolean trusts(javax.net.ssl.X509TrustManager check, List<X509Certificate> chain) {
      if (chain.isEmpty()) return false;
      try {
        check.checkClientTrusted(chain.toArray(X509Certificate[]::new), chain.get(0).getPublicKey().getAlgorithm());
        return true;
      } catch (java.security.cert.CertificateException e) {
        return false;
      }
    }

    @Override
    public Optional<Instant> trustedUntil(List<X509Certificate> chain) {
      javax.net.ssl.X509TrustManager check = chainCheck; // one set of CAs for both steps, whatever a reload does
      if (!trusts(check, chain)) return Optional.empty();
      try {
        return Optional.of(pathExpiry(chain, check.getAcceptedIssuers()));
      } catch (GeneralSecurityException e) {
        // The handshake's check passed, yet no path was built here: judge by every certificate sent.
        return Optional.of(earliestExpiry(chain));
      }
    }

    /**
     * The earliest expiry on the path PKIX builds from {@code chain}'s leaf to one of {@code cas},
     * through the certificates sent, at this moment (a path through an expired one is not built
     * when another exists). The CA's own expiry is not counted: TLS does not check a trust
     * anchor's either, and of two copies of one CA in the file (re-issued with the same key) the
     * builder may pick the older. The leaf always counts.
     */
    static Instant pathExpiry(List<X509Certificate> chain, X509Certificate[] cas) throws GeneralSecurityException {
      Set<TrustAnchor> anchors = new HashSet<>();
      for (X509Certificate ca : cas) anchors.add(new TrustAnchor(ca, null));
      var leaf = new X509CertSelector();
      leaf.setCertificate(chain.get(0));
      var parameters = new PKIXBuilderParameters(anchors, leaf);
      parameters.setRevocationEnabled(false);
      parameters.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(chain)));
      var built = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(parameters);
      Instant path = earliestExpiry(built.getCertPath().getCertificates());
      Instant leafExpiry = chain.get(0).getNotAfter().toInstant(); // the leaf counts even when it is itself a trusted CA
      return leafExpiry.isBefore(path) ? leafExpiry : path;
    }

    /** The earliest expiry among {@code certificates}; {@link Instant#MAX} for none. */
    private static Instant earliestExpiry(Iterable<? extends java.security.cert.Certificate> certificates) {
      Instant earliest = Instant.MAX;
      for (var certificate : certificates) {
        Instant notAfter = ((X509Certificate) certificate).getNotAfter().toInstant();
        if (notAfter.isBefore(earliest)) earliest = notAfter;
      }
      return earliest;
    }

    /**
     * The JDK's PKIX trust manager over {@code cas} (the JDK's CAs when null): the same chain check
     * as the handshake's, which gRPC's trust manager only does inside one.
     */
    private static javax.net.ssl.X509TrustManager chainCheck(X509Certificate[] cas) throws IOException, GeneralSecurityException {
      java.security.KeyStore anchors = null;
      if (cas != null) {
        anchors = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        anchors.load(null, null);
        for (int i = 0; i < cas.length; i++) anchors.setCertificateEntry("ca-" + i, cas[i]);
      }
      var factory = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      factory.init(anchors);
      for (var manager : factory.getTrustManagers()) {
        if (manager instanceof javax.net.ssl.X509TrustManager x509) return x509;
      }
      throw new GeneralSecurityException("no X.509 trust manager for the CAs of " + (cas == null ? "the JDK" : "the CA file"));
    }

    /**
     * Server credentials; {@code requireClientCertificate} false still verifies one that is sent.
     * Without a CA file (a buyer port) no client certificate is asked for: checked against the
     * JDK's public CAs, it would prove nothing this node uses.
     */
    public ServerCredentials server(boolean requireClientCertificate) {
      if (keys == null) throw new IllegalStateException("a TLS server needs a certificate and key");
      if (files.trustedCa() == null) {
        if (requireClientCertificate) throw new IllegalStateException("requiring client certificates needs a CA file: " + files);
        return TlsServerCredentials.newBuilder().keyManager(keys).clientAuth(TlsServerCredentials.ClientAuth.NONE).build();
      }
      return TlsServerCredentials.newBuilder()
          .keyManager(keys)
          .trustManager(serverTrust)
          .clientAuth(requireClientCertificate ? TlsServerCredentials.ClientAuth.REQUIRE : TlsServerCredentials.ClientAuth.OPTIONAL)
          .build();
    }

    /** Channel credentials: presents this node's certificate when it has one, checks the server's. */
    public ChannelCredentials channel() {
      TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder().trustManager(clientTrust);
      if (keys != null) builder.keyManager(keys);
      return builder.build();
    }

    /**
     * Channel credentials that also require the server to prove it is a {@code serverRole}
     * workload of this node's trust domain (its certificate's URI SAN), not just any certificate
     * the CA signed for the host: a region's certificate, which the same CA signs and which may
     * name the same hosts, cannot pose as the arbiter. Needs this node's own certificate to carry
     * its workload id (the trust domain is read from it) and a {@code trustedCa}.
     */
    public ChannelCredentials channelTo(Role serverRole) {
      if (keys == null || files.trustedCa() == null || self.isEmpty()) {
        throw new IllegalStateException("checking the server's workload id needs this node's certificate with its "
            + "spiffe:// URI SAN and a CA: " + files);
      }
      try {
        // The CAs as last loaded, not as the file is now (it may be half written), and under the
        // reload's lock, so no reload falls between taking them and the registration.
        AdvancedTlsX509TrustManager trust;
        synchronized (roleCheckedTrust) {
          trust = ServerRoleCheck.required(serverRole, self.get().trustDomain()).trustManager(loadedCaCertificates);
          roleCheckedTrust.add(trust);
        }
        return TlsChannelCredentials.newBuilder().trustManager(trust).keyManager(keys).build();
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException("TLS files " + files + " do not load: " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      reloader.shutdownNow();
    }
  }
}
