// OSIS markup stripping and mod2imp parsing on literal snippets (shaped like the real
// modules' markup), and the UTF-8 helpers underneath.
#include <catch2/catch.hpp>

#include "data/osis.h"
#include "data/utf8.h"

using namespace qkv::data;

TEST_CASE("strip_osis keeps the words inside <w> and collects their Strong's numbers", "[data]") {
  StrippedVerse v = strip_osis(
      "In the <w lemma=\"strong:H7225\">beginning</w> <w lemma=\"strong:H0430\">God</w> "
      "<w lemma=\"strong:H1254\">created</w> the <w lemma=\"strong:H8064\">heaven</w> "
      "<w lemma=\"strong:H0853 strong:H0776\">and</w> the earth.");
  CHECK(v.text == "In the beginning God created the heaven and the earth.");
  CHECK(v.strongs == std::vector<std::string>{"H7225", "H0430", "H1254", "H8064", "H0853", "H0776"});
}

TEST_CASE("strip_osis drops notes with their nested content and keeps a space where they sat", "[data]") {
  // WEB Genesis 1:1: without the space the words glue ("Godcreated").
  CHECK(strip_osis("<w>God</w><note placement=\"foot\"><reference type=\"annotateRef\">1:1 </reference>The Hebrew "
                   "word rendered “God” is “אֱלֹהִ֑ים” (Elohim).</note><w>created</w> the heavens")
            .text == "God created the heavens");
  // A note before punctuation leaves no space; a nested note inside a note goes with it.
  CHECK(strip_osis("the darkness.<note placement=\"foot\">Heb. between <note>inner</note> the light</note>").text ==
        "the darkness.");
  CHECK(strip_osis("assaria coins<note>An assarion was a coin.</note>? Not one").text == "assaria coins? Not one");
  CHECK(strip_osis("<w>Lord</w><note>n</note><w>Yahweh</w>’s house").text == "Lord Yahweh’s house");
}

TEST_CASE("strip_osis drops titles, speaker labels, milestones and pilcrows", "[data]") {
  CHECK(strip_osis("<title canonical=\"true\" type=\"psalm\">A <w>Psalm</w> of <w>David</w>.</title> <lg sID=\"g1\"/>"
                   "<l level=\"1\" sID=\"g2\"/><w>LORD</w>, how are they increased<l eID=\"g2\" level=\"1\"/>")
            .text == "LORD, how are they increased");
  CHECK(strip_osis("<milestone type=\"x-usfm-toc1\" n=\"Genesis\"/><div sID=\"gen5\" type=\"x-p\"/>¶ And God said")
            .text == "And God said");
  CHECK(strip_osis("wine!<l eID=\"g8\" level=\"2\"/> <lg eID=\"g6\"/> <speaker>Friends</speaker> <lg sID=\"g9\"/>"
                   "<l level=\"1\" sID=\"g10\"/>We will be glad")
            .text == "wine! We will be glad");
  // Empty elements separate words even with no space around them.
  CHECK(strip_osis("rooms.<l eID=\"a\"/><l sID=\"b\"/>We will").text == "rooms. We will");
}

TEST_CASE("strip_osis removes USFM leftovers and decodes XML entities", "[data]") {
  CHECK(strip_osis("by my <w>name</w> \\nd <w lemma=\"strong:H3068\">JEHOVAH</w></divineName> was I not known").text ==
        "by my name JEHOVAH was I not known");
  CHECK(strip_osis("the throne of the \\nd LORD\\+nd*, therefore").text == "the throne of the LORD, therefore");
  CHECK(strip_osis("Tom &amp; Jerry &lt;b&gt; &quot;q&quot; &apos;a&apos; &#233;t&#xE9; &bogus; &").text ==
        "Tom & Jerry <b> \"q\" 'a' été &bogus; &");
}

TEST_CASE("strip_osis keeps inline elements glued and collapses whitespace", "[data]") {
  CHECK(strip_osis("  <w>God</w>’s <transChange type=\"added\">it was</transChange>  <divineName>LORD</divineName> "
                   "<q marker=\"\" who=\"Jesus\">Follow</q>.  <div eID=\"gen4\" type=\"x-p\"/>")
            .text == "God’s it was LORD Follow.");
}

TEST_CASE("strip_osis cuts the text at the end of the book", "[data]") {
  // WEB appends its glossary to Revelation 22:21 after the book's closing div.
  CHECK(strip_osis("with all the saints. Amen.  <chapter eID=\"Rev.22\"/> <div canonical=\"true\" eID=\"gen9\" "
                   "osisID=\"Rev\" type=\"book\"/> <div sID=\"g10\" type=\"glossary\"/> The following words")
            .text == "with all the saints. Amen.");
}

TEST_CASE("strip_osis separates words a translator added without a space, but not enclitics", "[data]") {
  // RV1909 John 11:1 and Genesis 43:2.
  CHECK(strip_osis("enfermo <w>uno</w><transChange type=\"added\">llamado</transChange><w>Lázaro</w>, de Bethania")
            .text == "enfermo uno llamado Lázaro, de Bethania");
  CHECK(strip_osis("<w>díjo</w><transChange type=\"added\">les</transChange> su padre").text == "díjoles su padre");
  CHECK(strip_osis("<w>Josué</w><transChange type=\"added\">los</transChange> <w>circuncidó</w>").text ==
        "Josué los circuncidó");
}

TEST_CASE("parse_imp reads verse slots and skips headings, introductions and empty slots", "[data]") {
  std::string imp =
      "$$$[ Module Heading ]\n\n"
      "$$$[ Testament 1 Heading ]\n<milestone type=\"x-importer\"/>\n"
      "$$$Genesis 0:0\n<title type=\"main\">The First Book of Moses</title>\n"
      "$$$Genesis 1:0\n<chapter n=\"1\" osisID=\"Gen.1\" sID=\"Gen.1\"/>\n"
      "$$$Genesis 1:1\nIn the <w lemma=\"strong:H7225\">beginning</w> God.\n"
      "$$$Genesis 1:2\n<div type=\"x-p\"/>\n"
      "$$$I Samuel 3:10\nAnd the <w>LORD</w> came.\n"
      "$$$Revelation of John 22:21\nAmen.";
  std::vector<Verse> v = parse_imp(imp);
  REQUIRE(v.size() == 3);
  CHECK(v[0].book == "Genesis");
  CHECK(v[0].chapter == 1);
  CHECK(v[0].verse == 1);
  CHECK(v[0].text == "In the beginning God.");
  CHECK(v[0].strongs == std::vector<std::string>{"H7225"});
  CHECK(v[1].book == "I Samuel");
  CHECK(v[1].chapter == 3);
  CHECK(v[1].verse == 10);
  CHECK(v[2].book == "Revelation of John");
  CHECK(v[2].text == "Amen.");
}

TEST_CASE("UTF-8 validation names the offset of the first malformed byte", "[data]") {
  using sv = std::string_view;
  CHECK(find_invalid_utf8("plain ASCII") == sv::npos);
  CHECK(find_invalid_utf8("caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D \xF0\x9F\x98\x80") == sv::npos);
  CHECK(find_invalid_utf8("ab\xFF") == 2);         // never valid
  CHECK(find_invalid_utf8("abc\xC3") == 3);        // truncated sequence
  CHECK(find_invalid_utf8("a\xC0\xAF") == 1);      // overlong '/'
  CHECK(find_invalid_utf8("a\xED\xA0\x80") == 1);  // a surrogate
  CHECK(find_invalid_utf8("ok\xE9t\xE9") == 2);    // Latin-1, not UTF-8
  CHECK(find_invalid_utf8(sv("x\x80", 2)) == 1);   // a lone continuation byte
  std::string s = "aé€😀";
  size_t pos = 0;
  CHECK(next_code_point(s, pos) == U'a');
  CHECK(next_code_point(s, pos) == U'é');
  CHECK(next_code_point(s, pos) == U'€');
  CHECK(next_code_point(s, pos) == U'😀');
  CHECK(pos == s.size());
  std::string back;
  for (char32_t c : {U'a', U'é', U'€', U'😀'}) append_utf8(back, c);
  CHECK(back == s);
  CHECK(count_code_points(s) == 4);
  CHECK(code_point_offset(s, 2) == 3);
  CHECK(describe_code_point(U'é') == "'é' (U+00E9)");
  CHECK(describe_code_point(U'\n') == "'\\n' (U+000A)");
}
