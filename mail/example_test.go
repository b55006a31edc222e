package mail_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/embedauth/auth/mail"
)

func ExampleTemplates_Render() {
	tpl, err := mail.NewTemplates(nil) // or an os.DirFS of the app's own templates
	if err != nil {
		log.Fatal(err)
	}
	m, err := tpl.Render(mail.MsgVerifyEmail, "Ada <ada@example.com>", mail.Data{
		Brand:     mail.Brand{AppName: "Acme", Color: "#0f766e", BaseURL: "https://acme.example"},
		Code:      "123456",
		ExpiresIn: 10 * time.Minute,
		Name:      "Ada",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Subject:", m.Subject)
	fmt.Print(m.Text)
	fmt.Println("HTML shows the code:", strings.Contains(m.HTML, ">123456</span>"))
	// Output:
	// Subject: 123456 is your Acme verification code
	// Hi Ada,
	//
	// Your verification code is 123456. It expires in 10 minutes.
	//
	// Enter it where you signed up to finish creating your Acme account.
	//
	// If you didn't try to sign up, ignore this mail.
	//
	// Acme
	// HTML shows the code: true
}

func ExampleNewSMTPSender() {
	sender, err := mail.NewSMTPSender(mail.SMTPConfig{
		Host:     "smtp.example.com",
		Username: "apikey",
		Password: "secret",
		From:     "Acme <no-reply@acme.example>",
		// Port 587 and TLSMandatory (STARTTLS required) are the defaults.
	})
	if err != nil {
		log.Fatal(err)
	}
	send := func(ctx context.Context) error { // not run here: it would connect
		return sender.Send(ctx, mail.Message{
			To: "ada@example.com", Subject: "Hello", Text: "Hello, Ada.", HTML: "<p>Hello, Ada.</p>",
		})
	}
	_ = send

	// Every problem in a config is reported at once.
	_, err = mail.NewSMTPSender(mail.SMTPConfig{Port: 587})
	fmt.Println(err)
	// Output:
	// mail: SMTPConfig.Host is required
	// mail: SMTPConfig.From is required (e.g. "App <no-reply@example.com>")
}
