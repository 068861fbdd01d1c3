{ lib, ... }:
let
  p = lib.providers;
in
{
  canonicalProviders = {
    testNull = { expr = p.canonicalProviders null; expected = ""; };
    testEmpty = { expr = p.canonicalProviders { }; expected = ""; };
    testSortedStripped = {
      expr = p.canonicalProviders { numpy = "conda"; _default = " wheel, sdist ,"; };
      expected = "_default=wheel,sdist;numpy=conda";
    };
    testStringIsDefault = { expr = p.canonicalProviders "wheel,sdist"; expected = "_default=wheel,sdist"; };
    testListKeptWhole = {
      expr = p.canonicalProviders { x = [ " a" "b" "" ]; };
      expected = "x=a,b";
    };
    testKeysNormalized = {
      expr = p.canonicalProviders { "Scikit_Learn" = "wheel"; };
      expected = "scikit-learn=wheel";
    };
    testBadValue = { expr = p.canonicalProviders { x = 1; }; throws = true; };
    testDuplicateAfterNormalizing = { expr = p.canonicalProviders { A = "wheel"; a = "sdist"; }; throws = true; };
  };
  providerLists = {
    testLists = {
      expr = p.providerLists { _default = "wheel, sdist"; numpy = [ "conda" ]; };
      expected = { _default = [ "wheel" "sdist" ]; numpy = [ "conda" ]; };
    };
  };
  toProviderSet = {
    testList = { expr = p.toProviderSet [ "wheel" ]; expected = { _default = [ "wheel" ]; }; };
    testBad = { expr = p.toProviderSet 3; throws = true; };
  };
}
