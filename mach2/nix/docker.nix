# Docker images of an environment through dockerTools.buildLayeredImage.
#
# The image keeps mach-nix's `.override (old: { name = ...; config.Cmd = [ ... ]; })`, with
# one difference from nixpkgs' lib.makeOverridable (lib/customisation.nix), whose override
# merges the arguments shallowly (`origArgs // newArgs`): there `config.Cmd = ...` replaces
# the whole `config` and drops the image's `Env` (SSL_CERT_FILE, PATH).  Here `config` is
# merged key by key (`old.config // new.config`): `config.Cmd` replaces `Cmd` and `Env`
# stays; `config.Env = old.config.Env ++ [ ... ]` extends it; `config.Env = [ ]` removes it.
{ pkgs, ... }:
let
  inherit (builtins) isFunction removeAttrs;

  /**
    buildLayeredImage of `args`, overridable with `config` merged key by key.

    Type: overridable :: attrs -> derivation
  */
  overridable =
    args:
    let
      override =
        change:
        let
          new = if isFunction change then change args else change;
        in
        overridable (args // new // { config = (args.config or { }) // (new.config or { }); });
    in
    removeAttrs (pkgs.dockerTools.buildLayeredImage args) [ "override" ] // { inherit override; };
in
{
  /**
    The image: the environment, CA certificates and the extra packages; `Cmd` runs python.
    `.override` takes the arguments of dockerTools.buildLayeredImage (an attrset or a
    function of the current ones); `config` is merged key by key over the current one.

    Type: mkImage :: { env, contents } -> derivation
  */
  mkImage =
    { env, contents }:
    overridable {
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
