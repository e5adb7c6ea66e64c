package org.omspush.claimcheck.retrieve;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Pages of RetrieveOutageChanges, read whole (signatures are off here: the refusal comes first). */
class AnswerReaderTest {
  private static final String CHANGES = """
      <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
        <soap:Header/>
        <soap:Body>
          %s
        </soap:Body>
      </soap:Envelope>""";
  private static final String PAGE = """
      <OutageChanges xmlns="urn:omspush:v1"><more>%s</more><cursor>c-1</cursor></OutageChanges>""";

  private static RetrieveAnswer read(String body) {
    return new AnswerReader(false).read(200, "text/xml", CHANGES.formatted(body).getBytes(StandardCharsets.UTF_8),
        null);
  }

  @Test
  void a_page_of_changes_is_read() {
    assertThat(read(PAGE.formatted("true"))).isEqualTo(new RetrieveAnswer.Changes(java.util.List.of(), true, "c-1"));
  }

  @Test
  void two_pages_in_one_answer_are_refused_not_read_as_the_first() {
    RetrieveAnswer answer = read(PAGE.formatted("false") + PAGE.formatted("true"));

    assertThat(answer).isEqualTo(new RetrieveAnswer.Rejected("the answer has two OutageChanges elements"));
  }

  @Test
  void a_page_with_two_more_or_two_cursor_elements_is_refused_not_read_as_the_last() {
    String twoMore = "<OutageChanges xmlns=\"urn:omspush:v1\"><more>true</more><more>false</more></OutageChanges>";
    String twoCursors = "<OutageChanges xmlns=\"urn:omspush:v1\"><more>true</more><cursor>c-1</cursor>"
        + "<cursor>c-2</cursor></OutageChanges>";

    assertThat(read(twoMore)).isEqualTo(new RetrieveAnswer.Rejected("the answer has two more elements"));
    assertThat(read(twoCursors)).isEqualTo(new RetrieveAnswer.Rejected("the answer has two cursor elements"));
  }

  @Test
  void a_fault_with_two_faultcodes_faultstrings_or_descriptions_is_refused_not_read_as_the_first() {
    String fault = """
        <soap:Fault xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">%s<detail>
          <outputDataType xmlns="http://www.caiso.com/soa/2006-06-13/StandardOutput.xsd"><EventLog><Event>
            <result>Failure</result>%s</Event></EventLog></outputDataType></detail></soap:Fault>""";
    String one = "<faultcode>soap:Server</faultcode><faultstring>busy</faultstring>";
    String description = "<description>busy</description>";
    RetrieveAnswer.Fault read = (RetrieveAnswer.Fault) new AnswerReader(false).read(503, "text/xml",
        CHANGES.formatted(fault.formatted(one, description)).getBytes(StandardCharsets.UTF_8), null);
    assertThat(read.code()).isEqualTo("soap:Server");
    assertThat(read.description()).isEqualTo("busy");

    assertThat(read(fault.formatted(one + "<faultcode>soap:Client</faultcode>", description)))
        .isEqualTo(new RetrieveAnswer.Rejected("the answer has two faultcode elements"));
    assertThat(read(fault.formatted(one + "<faultstring>gone</faultstring>", "")))
        .isEqualTo(new RetrieveAnswer.Rejected("the answer has two faultstring elements"));
    assertThat(read(fault.formatted(one, description + "<description>gone</description>")))
        .isEqualTo(new RetrieveAnswer.Rejected("the answer has two description elements"));
  }

  @Test
  void two_soap_bodies_are_refused() {
    String twoBodies = CHANGES.formatted(PAGE.formatted("false"))
        .replace("</soap:Envelope>", "<soap:Body>" + PAGE.formatted("true") + "</soap:Body></soap:Envelope>");

    RetrieveAnswer answer = new AnswerReader(false).read(200, "text/xml", twoBodies.getBytes(StandardCharsets.UTF_8),
        null);

    assertThat(answer).isEqualTo(new RetrieveAnswer.Rejected("the answer has two Body elements"));
  }
}
