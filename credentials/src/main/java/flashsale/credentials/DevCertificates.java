package flashsale.credentials;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for development and tests: a CA and, per workload, a
 * certificate whose URI SAN is its {@link WorkloadId} and whose DNS/IP SANs are {@code localhost}
 * and {@code 127.0.0.1} (plus any hosts given), usable as server and client certificate. Everything
 * is written as PEM into one directory: {@code ca.pem}, and {@code <role>-<name>.pem} with its
 * PKCS#8 key {@code <role>-<name>.key}. Not for production: there, issue the same SANs from your own
 * CA (see the README's Security section).
 */
public final class DevCertificates {
  private static final Duration VALIDITY = Duration.ofDays(30);

  private final Path directory;
  private final String trustDomain;
  private final KeyPair caKeys;
  private final X509Certificate ca;
  private final SecureRandom random = new SecureRandom();

  private DevCertificates(Path directory, String trustDomain, Duration caValidity)
      throws IOException, GeneralSecurityException {
    this.directory = directory;
    this.trustDomain = trustDomain;
    this.caKeys = newKeyPair();
    X500Name name = caName(trustDomain);
    X509v3CertificateBuilder builder = builder(name, name, caKeys, caValidity);
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          new JcaX509ExtensionUtils().createSubjectKeyIdentifier(caKeys.getPublic()));
      this.ca = sign(builder);
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
    Files.createDirectories(directory);
    writePem(caPath(), ca);
  }

  private DevCertificates(Path directory, String trustDomain, KeyPair caKeys, X509Certificate ca) {
    this.directory = directory;
    this.trustDomain = trustDomain;
    this.caKeys = caKeys;
    this.ca = ca;
  }

  private static X500Name caName(String trustDomain) {
    return new X500Name("CN=flashsale development CA " + trustDomain);
  }

  /** A new CA for {@code trustDomain}, written to {@code directory/ca.pem}. */
  public static DevCertificates create(Path directory, String trustDomain) throws IOException {
    return create(directory, trustDomain, VALIDITY);
  }

  private static DevCertificates create(Path directory, String trustDomain, Duration caValidity) throws IOException {
    try {
      return new DevCertificates(directory, trustDomain, caValidity);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot make a development CA: " + e.getMessage(), e);
    }
  }

  /**
   * The CA an earlier run kept in {@code directory} ({@code ca.pem} with its key {@code ca.key}), so
   * certificates issued now chain to the one running nodes already trust; else a new CA, its key
   * written beside it (owner-only where the file system allows) for the next run.
   *
   * @throws IOException when {@code ca.pem} is there without its key, or is another trust domain's
   */
  public static DevCertificates openOrCreate(Path directory, String trustDomain) throws IOException {
    return openOrCreate(directory, trustDomain, VALIDITY);
  }

  /** As {@link #openOrCreate(Path, String)}, a new CA valid for {@code caValidity}. */
  static DevCertificates openOrCreate(Path directory, String trustDomain, Duration caValidity) throws IOException {
    Path caFile = directory.resolve("ca.pem");
    Path keyFile = directory.resolve("ca.key");
    if (!Files.exists(caFile)) {
      DevCertificates fresh = create(directory, trustDomain, caValidity);
      writeOwnerOnly(keyFile, new JcaPKCS8Generator(fresh.caKeys.getPrivate(), null).generate());
      return fresh;
    }
    if (!Files.exists(keyFile)) {
      throw new IOException(caFile + " exists without its key " + keyFile + ", so no certificate it would trust can be"
          + " issued: use another directory, or replace the CA (every node then needs the new files)");
    }
    try (var certIn = Files.newInputStream(caFile);
        var keyIn = new org.bouncycastle.openssl.PEMParser(Files.newBufferedReader(keyFile, StandardCharsets.US_ASCII))) {
      X509Certificate ca = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(certIn);
      if (!ca.getNotAfter().toInstant().isAfter(Instant.now().plus(Duration.ofHours(1)))) {
        throw new IOException(caFile + " expired at " + ca.getNotAfter().toInstant() + " (or does within the hour): move"
            + " ca.pem and ca.key aside for a new CA, and give every node the new files");
      }
      if (!X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()).equals(caName(trustDomain))) {
        throw new IOException(caFile + " is the CA '" + ca.getSubjectX500Principal().getName() + "', not trust domain "
            + trustDomain + "'s: use another directory or --trust-domain");
      }
      Object key = keyIn.readObject();
      if (!(key instanceof org.bouncycastle.asn1.pkcs.PrivateKeyInfo info)) {
        throw new IOException(keyFile + " holds no PKCS#8 private key");
      }
      var privateKey = new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter().getPrivateKey(info);
      KeyPair keys = new KeyPair(ca.getPublicKey(), privateKey);
      DevCertificates kept = new DevCertificates(directory, trustDomain, keys, ca);
      kept.requireKeyMatches();
      return kept;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the development CA in " + directory + ": " + e.getMessage(), e);
    }
  }

  /** A test signature: a key that is not the certificate's would issue certificates nobody trusts. */
  private void requireKeyMatches() throws GeneralSecurityException, IOException {
    byte[] probe = "flashsale".getBytes(StandardCharsets.US_ASCII);
    var signer = java.security.Signature.getInstance("SHA256withECDSA");
    signer.initSign(caKeys.getPrivate());
    signer.update(probe);
    byte[] signature = signer.sign();
    var verifier = java.security.Signature.getInstance("SHA256withECDSA");
    verifier.initVerify(ca.getPublicKey());
    verifier.update(probe);
    if (!verifier.verify(signature)) throw new IOException(directory.resolve("ca.key") + " is not the key of ca.pem");
  }

  public Path caPath() {
    return directory.resolve("ca.pem");
  }

  /**
   * Makes {@code caFile} hold this CA's certificate only, as an operator rotating a CA would: written
   * aside, then moved over it, so a node re-reading the file never sees half of it.
   */
  public void replaceCaFile(Path caFile) throws IOException {
    Path written = caFile.resolveSibling(caFile.getFileName() + ".next");
    java.nio.file.Files.copy(caPath(), written, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    java.nio.file.Files.move(written, caFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Issues a certificate for {@code role}/{@code name}, valid for localhost and {@code extraHosts}. */
  public Issued issue(Role role, String name, String... extraHosts) throws IOException {
    return issueValidFor(VALIDITY, role, name, extraHosts);
  }

  /** As {@link #issue}, expiring {@code validity} from now (a short-lived certificate, as a mesh issues). */
  public Issued issueValidFor(Duration validity, Role role, String name, String... extraHosts) throws IOException {
    WorkloadId id = new WorkloadId(trustDomain, role, name);
    // Never past the CA (a kept one may be older): a certificate outliving its CA fails every handshake.
    Duration untilCaExpires = Duration.between(Instant.now(), ca.getNotAfter().toInstant());
    Duration valid = validity.compareTo(untilCaExpires) < 0 ? validity : untilCaExpires;
    try {
      KeyPair keys = newKeyPair();
      X509v3CertificateBuilder builder = builder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
          new X500Name("CN=" + role.label() + " " + name), keys, valid);
      List<GeneralName> names = new ArrayList<>();
      names.add(new GeneralName(GeneralName.uniformResourceIdentifier, id.uri()));
      names.add(new GeneralName(GeneralName.dNSName, "localhost"));
      names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
      for (String host : extraHosts) {
        boolean ip = host.chars().allMatch(c -> Character.isDigit(c) || c == '.' || c == ':');
        names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, ip ? InetAddress.getByName(host).getHostAddress() : host));
      }
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(ca));
      X509Certificate certificate = sign(builder);
      String base = role.label() + "-" + name;
      Path certPath = directory.resolve(base + ".pem");
      Path keyPath = directory.resolve(base + ".key");
      writePem(certPath, certificate);
      writeOwnerOnly(keyPath, new JcaPKCS8Generator(keys.getPrivate(), null).generate());
      return new Issued(id, certPath, keyPath, caPath(), certificate.getNotAfter().toInstant());
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot issue a certificate for " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * This CA's certificate cross-signed by a throw-away older CA, expiring {@code validity} from now,
   * written to {@code ca-cross-signed.pem}: what a client's bundle may still carry after a CA
   * migration. It has this CA's name and key, so it chains this CA's leaves as the CA does.
   */
  public Path crossSignedByAnOlderCa(Duration validity) throws IOException {
    try {
      KeyPair olderKeys = newKeyPair();
      X509v3CertificateBuilder builder = builder(new X500Name("CN=flashsale older CA " + trustDomain),
          X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()), caKeys, validity);
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(olderKeys.getPrivate());
      Path path = directory.resolve("ca-cross-signed.pem");
      writePem(path, new JcaX509CertificateConverter().getCertificate(builder.build(signer)));
      return path;
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot cross-sign the development CA: " + e.getMessage(), e);
    }
  }

  /**
   * A certificate issued: its files, ready for {@link TlsFiles}, and when it expires as written
   * (X.509 keeps whole seconds, so up to a second before {@code now + validity}).
   */
  public record Issued(WorkloadId id, Path certificate, Path privateKey, Path trustedCa, Instant expiresAt) {
    public TlsFiles files() {
      return files(TlsFiles.DEFAULT_RELOAD);
    }

    /** The files, re-read every {@code reloadPeriod}. */
    public TlsFiles files(Duration reloadPeriod) {
      return new TlsFiles(certificate, privateKey, trustedCa, reloadPeriod);
    }
  }

  private X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    return builder(issuer, subject, keys, VALIDITY);
  }

  private X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys, Duration validity) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, random).add(BigInteger.ONE),
        Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), subject, keys.getPublic());
  }

  private X509Certificate sign(X509v3CertificateBuilder builder) throws OperatorCreationException, GeneralSecurityException {
    ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  /** A private key: readable by its owner only. */
  private static void writeOwnerOnly(Path path, Object object) throws IOException {
    write(path, object, "rw-------");
  }

  private static void writePem(Path path, Object object) throws IOException {
    write(path, object, "rw-r--r--");
  }

  /**
   * Written whole under a temporary name (created owner-only) and moved into place, so a node that
   * re-reads its files for a renewal never reads half of one, nor a key anyone else could read.
   */
  private static void write(Path path, Object object, String permissions) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
      pem.writeObject(object);
    }
    Path directory = path.toAbsolutePath().getParent();
    Path temporary = Files.createTempFile(directory, "." + path.getFileName(), ".tmp");
    try {
      Files.writeString(temporary, text.toString(), StandardCharsets.US_ASCII);
      try {
        Files.setPosixFilePermissions(temporary, java.nio.file.attribute.PosixFilePermissions.fromString(permissions));
      } catch (UnsupportedOperationException notPosix) {
        // the file system's own access rules apply
      }
      Files.move(temporary, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temporary);
    }
  }
}
