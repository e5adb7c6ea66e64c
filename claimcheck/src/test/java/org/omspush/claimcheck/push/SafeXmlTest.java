package org.omspush.claimcheck.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class SafeXmlTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void well_formed_xml_parses_with_namespaces() throws Exception {
    Document doc = SafeXml.parse(utf8("<a:x xmlns:a='urn:a'><a:y>1</a:y></a:x>"));
    assertThat(doc.getDocumentElement().getNamespaceURI()).isEqualTo("urn:a");
    assertThat(doc.getDocumentElement().getLocalName()).isEqualTo("x");
  }

  @Test
  void external_entity_is_refused_and_the_file_never_read(@TempDir Path dir) throws Exception {
    Path secret = dir.resolve("secret.txt");
    Files.writeString(secret, "TOP-SECRET");
    String xxe = "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY e SYSTEM '" + secret.toUri() + "'>]><r>&e;</r>";
    assertThatThrownBy(() -> SafeXml.parse(utf8(xxe)))
        .isInstanceOf(PushRejectedException.class)
        .satisfies(e -> assertThat(((PushRejectedException) e).fault().reason())
            .isEqualTo(PushFault.Reason.DTD_NOT_ALLOWED))
        .hasMessageNotContaining("TOP-SECRET");
  }

  @Test
  void billion_laughs_is_refused_as_a_dtd() {
    String bomb = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
        + "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
        + "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]><lolz>&lol3;</lolz>";
    assertThatThrownBy(() -> SafeXml.parse(utf8(bomb)))
        .isInstanceOfSatisfying(PushRejectedException.class,
            e -> assertThat(e.fault().reason()).isEqualTo(PushFault.Reason.DTD_NOT_ALLOWED));
  }

  @Test
  void malformed_xml_names_line_and_column() {
    assertThatThrownBy(() -> SafeXml.parse(utf8("<a>\n<b></a>")))
        .isInstanceOfSatisfying(PushRejectedException.class, e -> {
          assertThat(e.fault().reason()).isEqualTo(PushFault.Reason.MALFORMED_XML);
          assertThat(e.fault().description()).contains("line 2");
        });
  }

  @Test
  void nesting_deeper_than_the_limit_is_refused() {
    int depth = SafeXml.MAX_ELEMENT_DEPTH + 10;
    String deep = "<a>".repeat(depth) + "</a>".repeat(depth);
    assertThatThrownBy(() -> SafeXml.parse(utf8(deep)))
        .isInstanceOfSatisfying(PushRejectedException.class,
            e -> assertThat(e.fault().reason()).isEqualTo(PushFault.Reason.MALFORMED_XML));
  }

  @Test
  void empty_input_is_malformed() {
    assertThatThrownBy(() -> SafeXml.parse(new byte[0]))
        .isInstanceOfSatisfying(PushRejectedException.class,
            e -> assertThat(e.fault().reason()).isEqualTo(PushFault.Reason.MALFORMED_XML));
  }
}
