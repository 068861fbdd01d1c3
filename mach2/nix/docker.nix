# Docker images of an environment through dockerTools.buildLayeredImage.
#
# buildLayeredImage is made with lib.makeOverridable in nixpkgs, so the image keeps
# mach-nix's `.override (old: { name = ...; config.Cmd = [ ... ]; })`.
{ pkgs, ... }:
{
  /**
    The image: the environment, CA certificates and the extra packages; `Cmd` runs python.

    Type: mkImage :: { env, contents } -> derivation
  */
  mkImage =
    { env, contents }:
    pkgs.dockerTools.buildLayeredImage {
      name = "mach2-python";
      tag = "latest";
      contents = [
        env
        pkgs.cacert
      ]
      ++ contents;
      config = {
        Cmd = [ "${env}/bin/python" ];
        Env = [
          "SSL_CERT_FILE=${pkgs.cacert}/etc/ssl/certs/ca-bundle.crt"
          "PATH=/bin:${env}/bin"
        ];
      };
    };
}
